# Fit: the shared initial centres of the matched and tied modes (one job each: an added seed
# leaves the others' files and the fits that read them alone), the K-means fits and the indexed
# PNGs they give. One job fits every mode and seed of one (implementation, image, K), so that
# each library is imported (and R started) once for them; adding a seed or a mode refits only
# the other fits of its implementation and K. Each implementation has a rule of its own, as each
# may run other seeds and K values.

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
    batch = fit_runs(impl)
    if not batch:
        continue

    rule:
        name:
            f"fit_{impl}"
        input:
            pixels=RESULTS.pixels(),
            init=[
                path
                for mode, seeds in batch.items()
                for path in shared_starts(mode, seeds)
            ],
        output:
            [
                path
                for mode, seeds in batch.items()
                for path in per_seed(RESULTS.fit(mode=mode), seeds)
            ],
        log:
            RESULTS.log_of(RESULTS.fit_batch()),
        benchmark:
            RESULTS.benchmark_of(RESULTS.fit_batch())
        wildcard_constraints:
            impl=impl,
        conda:
            ENV
        threads: THREADS
        resources:
            mem_mb=lambda wildcards, attempt: 2000 * attempt,
            runtime=lambda wildcards, attempt: 60 * attempt,
        params:
            modes=words(mode for mode, seeds in batch.items() for _ in seeds),
            seeds=words(seed for seeds in batch.values() for seed in seeds),
            max_iter=config["max_iter"],
        shell:
            "python -m kmquant fit {input.pixels:q} --out {output:q} --impl {wildcards.impl}"
            " --mode {params.modes} --image {wildcards.image} --k {wildcards.k}"
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
