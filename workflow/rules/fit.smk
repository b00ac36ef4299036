# Fit: the shared initial centres of the matched and tied modes (one job each: an added seed
# leaves the other seeds' files, and the fits that read them, alone; one job per image would
# rewrite them all), the K-means fits and the indexed PNGs they give. One job
# fits every K, mode and seed of one (implementation, image), so that each library is imported
# (and R started) once per image; adding a K, a seed or a mode reruns every such job, and an
# added image only its own. Each implementation has a rule of its own, as each may run other
# seeds and K values. A job's runs travel as one JSON value (kmquant.runs), each with its files.
# One job per image writes the PNGs of every implementation and mode, loading the image and
# converting its colours to CIELAB once for all of them (an added implementation, or a seed
# the headline pair alone runs, rewrites the others' PNGs: the same bytes, about 0.3 s a fit).

# Every shared start before any fit job, and the fit jobs of the most fits first: the headline
# pair's (every K, mode and seed, minutes each) read the most starts, and started last they
# ran alone at the end of the default study with a core idle. (Snakemake gives a job's
# priority to it alone, not to the jobs it waits for.)
MOST_FITS = max((len(fit_runs(impl)) for impl in IMPLS), default=0)

for mode in SHARED_START:

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
        priority: MOST_FITS + 1
        conda:
            ENV
        threads: 1
        params:
            runs=start_run(mode),
        shell:
            "python -m kmquant init {input:q} --runs {params.runs:q} > {log:q} 2>&1"


for impl in IMPLS:
    batch = fit_runs(impl)
    if not batch:
        continue

    rule:
        name:
            f"fit_{impl}"
        input:
            **shared_starts(batch),
            pixels=RESULTS.pixels(),
        output:
            **run_files(RESULTS.fit, batch),
        log:
            RESULTS.log_of(RESULTS.fit_batch()),
        benchmark:
            RESULTS.benchmark_of(RESULTS.fit_batch())
        wildcard_constraints:
            impl=impl,
        priority: len(batch)
        conda:
            ENV
        threads: THREADS
        resources:
            mem_mb=lambda wildcards, attempt: 2000 * attempt,
            runtime=lambda wildcards, attempt: 120 * attempt,
        params:
            runs=job_runs(batch),
            max_iter=config["max_iter"],
        shell:
            "python -m kmquant fit {input.pixels:q} --runs {params.runs:q}"
            " --impl {wildcards.impl} --image {wildcards.image}"
            " --max-iter {params.max_iter} --threads {threads} > {log:q} 2>&1"


# A study in which no implementation writes images has no images job (a rule needs an output).
if IMAGE_FOLDERS:

    rule images:
        input:
            pixels=RESULTS.pixels(),
            fits=lambda wc: fits(images=[wc.image]),
        output:
            **{
                name: directory(RESULTS.images(impl=impl, mode=mode))
                for name, (impl, mode) in IMAGE_FOLDERS.items()
            },
        log:
            RESULTS.log_of(RESULTS.images_batch()),
        benchmark:
            RESULTS.benchmark_of(RESULTS.images_batch())
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=lambda wildcards, attempt: 2000 * attempt,
            runtime=lambda wildcards, attempt: 120 * attempt,
        params:
            # Each folder travels with its implementation and mode, never paired with them by
            # position.
            outs=lambda wildcards, output: [
                f"{'/'.join(IMAGE_FOLDERS[name])}={folder}"
                for name, folder in output.items()
            ],
        shell:
            "python -m kmquant images {input.pixels:q} --out {params.outs:q}"
            " --fits {input.fits:q} > {log:q} 2>&1"
