# The R side of every R fit: stats::kmeans and amap::Kmeans, called from Python through rpy2
# (python/kmquant/backends/r_kmeans.py; docs/design.md, "Implementations").
# Warnings and errors are returned with the fit, never raised, so that one failing fit
# becomes a row in the results instead of stopping the study.

# Runs `fit` (a function returning the fit's fields), collecting its warnings and an error.
kmquant_run <- function(fit) {
  warnings <- character(0)
  start <- proc.time()[["elapsed"]]
  result <- withCallingHandlers(
    tryCatch(fit(), error = function(e) list(status = "error", message = conditionMessage(e))),
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  result$warnings <- warnings
  result$seconds <- proc.time()[["elapsed"]] - start
  result
}

kmquant_stats <- function(x, centers, iter_max, algorithm, seed = NULL) {
  kmquant_run(function() {
    if (!is.null(seed)) set.seed(seed)
    fit <- stats::kmeans(x, centers = centers, iter.max = iter_max,
                         nstart = 1L, algorithm = algorithm)
    ifault <- if (is.null(fit$ifault)) 0L else fit$ifault
    list(
      status = "ok",
      centers = unname(fit$centers),
      cluster = unname(fit$cluster),
      iter = fit$iter,
      ifault = ifault,
      # ifault 2: no convergence within iter.max; 4: Quick-TRANSfer steps exceeded.
      converged = fit$iter <= iter_max && !(ifault %in% c(2L, 4L))
    )
  })
}

# Centres as R's Lloyd takes them back as a start, so that a run restarted from where one
# stopped (the study's stepped runs: iter.max = 1 from the previous call's centres) goes on
# as the single run does.
#
# stats::kmeans's C kmeans_Lloyd, and amap::Kmeans's kmeans_Lloyd2 (a copy of it with its
# own distance), write an emptied cluster's centre as its zero sum over its zero count,
# 0 / 0 = NaN, and go on with it: a point takes centre j only if its distance d_j < best, best
# starting at +Inf, and d_j is NaN for a NaN centre (amap skips non-finite coordinates and,
# left with none, returns NA), so no point takes it, the cluster stays empty, and every update
# writes 0 / 0 over it again. A restart cannot be handed those NaN rows: .C() refuses them
# ("NA/NaN/Inf in foreign function call"), and two would be "not distinct". So each all-NaN
# row j becomes the finite row (double.xmax / j, 0, ...), distinct for every j: a point's
# squared difference to it overflows to +Inf (for any point below double.xmax / K - 1e154 in
# magnitude), so d_j = +Inf (amap: sqrt(+Inf)), and +Inf < best is false as NaN < best is.
# Every point then takes the centre it takes in the single run, R reports the same labels,
# and the update writes 0 / 0 = NaN over the placeholder, as the single run's writes it over
# the NaN. Any other centre, finite or partly NaN, is passed on as it is.
kmquant_restartable <- function(centers) {
  centers <- as.matrix(centers)
  emptied <- which(rowSums(is.nan(centers)) == ncol(centers))
  centers[emptied, ] <- 0
  centers[emptied, 1L] <- .Machine$double.xmax / emptied
  centers
}

# Lloyd from given centres; R reports iter.max + 1 iterations when it did not converge.
kmquant_stats_shared <- function(x, centers, iter_max) {
  kmquant_stats(x, kmquant_restartable(centers), iter_max, "Lloyd")
}

# R's defaults: Hartigan-Wong from k random rows after set.seed(seed).
kmquant_stats_native <- function(x, k, seed, iter_max) {
  kmquant_stats(x, k, iter_max, "Hartigan-Wong", seed)
}

# amap::Kmeans (Lloyd) returns no iteration count: it warns "did not converge in N
# iterations" instead, so a fit without that warning converged.
kmquant_amap <- function(x, centers, iter_max, seed = NULL) {
  result <- kmquant_run(function() {
    if (!is.null(seed)) set.seed(seed)
    fit <- amap::Kmeans(x, centers = centers, iter.max = iter_max, nstart = 1L,
                        method = "euclidean")
    list(status = "ok", centers = unname(fit$centers), cluster = unname(fit$cluster))
  })
  result$converged <- !any(grepl("did not converge", result$warnings, fixed = TRUE))
  result
}

kmquant_amap_shared <- function(x, centers, iter_max) {
  kmquant_amap(x, kmquant_restartable(centers), iter_max)
}

# amap's own start: k random rows (distinct rows where the draw repeats one).
kmquant_amap_native <- function(x, k, seed, iter_max) {
  kmquant_amap(x, k, iter_max, seed)
}
