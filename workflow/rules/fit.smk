# Fit: the shared initial centres of the matched and tied modes, the K-means fits and the
# indexed PNGs they give. One job fits every seed of one (language, mode, image, K), so that
# scikit-learn is imported and R started once for them; adding a seed refits only the other
# seeds of its K. Each mode has rules of its own, as modes may run different seeds.

for mode in MODES:

    if MODE_REGISTRY[mode].shared_start:

        rule:
            name:
                f"initial_centres_{mode}"
            input:
                RESULTS.pixels(),
            output:
                per_seed(RESULTS.init(mode=mode), mode),
            log:
                RESULTS.log_of(RESULTS.init_batch(mode=mode)),
            benchmark:
                RESULTS.benchmark_of(RESULTS.init_batch(mode=mode))
            conda:
                ENV
            threads: 1
            params:
                mode=mode,
                seeds=seed_words(mode),
            shell:
                "python -m kmquant init {input:q} --out {output:q} --mode {params.mode}"
                " --k {wildcards.k} --seed {params.seeds} > {log:q} 2>&1"

    rule:
        name:
            f"fit_{mode}"
        input:
            pixels=RESULTS.pixels(),
            init=shared_starts(mode),
        output:
            per_seed(RESULTS.fit(mode=mode), mode),
        log:
            RESULTS.log_of(RESULTS.fit_batch(mode=mode)),
        benchmark:
            RESULTS.benchmark_of(RESULTS.fit_batch(mode=mode))
        conda:
            ENV
        threads: 1
        params:
            mode=mode,
            seeds=seed_words(mode),
            max_iter=config["max_iter"],
        shell:
            "python -m kmquant fit {input.pixels:q} --out {output:q} --impl {wildcards.impl}"
            " --mode {params.mode} --image {wildcards.image} --k {wildcards.k}"
            " --seed {params.seeds} --init {input.init:q} --max-iter {params.max_iter}"
            " --threads {threads} > {log:q} 2>&1"


rule images:
    input:
        pixels=RESULTS.pixels(),
        fits=lambda wc: fits([wc.impl], [wc.mode], [wc.image]),
    output:
        directory(RESULTS.images()),
    log:
        RESULTS.log_of(RESULTS.images()),
    benchmark:
        RESULTS.benchmark_of(RESULTS.images())
    conda:
        ENV
    threads: 1
    shell:
        "python -m kmquant images {input.pixels:q} {output:q} {input.fits:q} > {log:q} 2>&1"
