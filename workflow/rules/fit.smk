# Fit: the shared initial centres of the matched and tied modes (one job each: an added seed
# leaves the others' files and the fits that read them alone), the K-means fits and the indexed
# PNGs they give. One job fits every seed of one (implementation, mode, image, K), so that each
# library is imported (and R started) once for them; adding a seed refits only the other seeds
# of its K. Each (mode, implementation) has a rule of its own, as each may run other seeds and
# K values.

for mode in MODES:

    if MODE_REGISTRY[mode].shared_start:

        rule:
            name:
                f"initial_centres_{mode}"
            input:
                RESULTS.pixels(),
            output:
                RESULTS.init(mode=mode),
            log:
                RESULTS.log_of(RESULTS.init(mode=mode)),
            benchmark:
                RESULTS.benchmark_of(RESULTS.init(mode=mode))
            conda:
                ENV
            threads: 1
            params:
                mode=mode,
            shell:
                "python -m kmquant init {input:q} --out {output:q} --mode {params.mode}"
                " --k {wildcards.k} --seed {wildcards.seed} > {log:q} 2>&1"

    for impl in IMPLS:
        seeds = runs(impl, mode)[1]
        if not seeds:
            continue

        rule:
            name:
                f"fit_{mode}_{impl}"
            input:
                pixels=RESULTS.pixels(),
                init=shared_starts(mode, seeds),
            output:
                per_seed(RESULTS.fit(mode=mode), seeds),
            log:
                RESULTS.log_of(RESULTS.fit_batch(mode=mode)),
            benchmark:
                RESULTS.benchmark_of(RESULTS.fit_batch(mode=mode))
            wildcard_constraints:
                impl=impl,
            conda:
                ENV
            threads: THREADS
            resources:
                mem_mb=lambda wildcards, attempt: 2000 * attempt,
                runtime=lambda wildcards, attempt: 60 * attempt,
            params:
                mode=mode,
                seeds=words(seeds),
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
