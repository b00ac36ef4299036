# The R side of every fit: stats::kmeans, called from Python through rpy2
# (docs/design.md, "Modes").
# Warnings and errors are returned with the fit, never raised, so that one failing fit
# becomes a row in the results instead of stopping the study.

kmquant_fit <- function(x, centers, iter_max, algorithm, seed = NULL) {
  warnings <- character(0)
  start <- proc.time()[["elapsed"]]
  result <- withCallingHandlers(
    tryCatch(
      {
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
      },
      error = function(e) list(status = "error", message = conditionMessage(e))
    ),
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  result$warnings <- warnings
  result$seconds <- proc.time()[["elapsed"]] - start
  result
}

# Lloyd from given centres; R reports iter.max + 1 iterations when it did not converge.
kmquant_fit_lloyd <- function(x, centers, iter_max) {
  kmquant_fit(x, centers, iter_max, "Lloyd")
}

# R's defaults: Hartigan-Wong from k random rows after set.seed(seed).
kmquant_fit_native <- function(x, k, seed, iter_max) {
  kmquant_fit(x, k, iter_max, "Hartigan-Wong", seed)
}
