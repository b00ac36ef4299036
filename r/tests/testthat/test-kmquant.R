# testthat tests of r/kmquant.R, run by tests/test_r.py (or testthat::test_dir("r/tests/testthat")).
source(file.path("..", "..", "kmquant.R"), chdir = TRUE)

# Two well separated groups on a line: Lloyd from (0, 10) ends at the group means by hand.
x <- cbind(c(0, 1, 2, 10, 11, 12), 0, 0)

test_that("matched Lloyd reaches the hand-computed centres and labels", {
  fit <- kmquant_stats_shared(x, rbind(c(0, 0, 0), c(10, 0, 0)), 300L)
  expect_equal(fit$status, "ok")
  expect_equal(fit$centers[, 1], c(1, 11))
  expect_equal(fit$cluster, c(1, 1, 1, 2, 2, 2))
  expect_true(fit$converged)
  expect_length(fit$warnings, 0)
})

test_that("R's own errors come back as a status, not a stop", {
  fit <- kmquant_stats_shared(x, rbind(c(0, 0, 0), c(0, 0, 0)), 300L)
  expect_equal(fit$status, "error")
  expect_match(fit$message, "initial centers are not distinct")
  fit <- kmquant_stats_native(x[1:2, ], 3L, 1L, 10L)
  expect_equal(fit$status, "error")
})

test_that("warnings are collected and mark the fit as not converged", {
  set.seed(3)
  y <- matrix(runif(600), ncol = 3)
  fit <- kmquant_stats_shared(y, y[1:5, ], 1L)
  expect_equal(fit$status, "ok")
  expect_match(fit$warnings, "did not converge in 1 iteration")
  expect_false(fit$converged)
})

test_that("native mode is set.seed(seed) followed by R's default kmeans", {
  set.seed(7)
  y <- matrix(runif(300), ncol = 3)
  set.seed(42)
  expected <- kmeans(y, 4, iter.max = 50)
  fit <- kmquant_stats_native(y, 4L, 42L, 50L)
  expect_equal(fit$centers, unname(expected$centers))
  expect_equal(fit$cluster, unname(expected$cluster))
})

test_that("amap::Kmeans from given centres reaches the hand-computed fit and says it converged", {
  fit <- kmquant_amap_shared(x, rbind(c(0, 0, 0), c(10, 0, 0)), 300L)
  expect_equal(fit$status, "ok")
  expect_equal(fit$centers[, 1], c(1, 11))
  expect_equal(fit$cluster, c(1, 1, 1, 2, 2, 2))
  expect_null(fit$iter)
  expect_true(fit$converged)
})

test_that("amap's warning that it did not converge marks the fit as not converged", {
  set.seed(3)
  y <- matrix(runif(600), ncol = 3)
  fit <- kmquant_amap_shared(y, y[1:5, ], 1L)
  expect_match(fit$warnings, "did not converge in 1 iterations")
  expect_false(fit$converged)
})

test_that("amap's native mode is set.seed(seed) followed by amap::Kmeans from K rows", {
  set.seed(7)
  y <- matrix(runif(300), ncol = 3)
  set.seed(42)
  expected <- amap::Kmeans(y, 4, iter.max = 50)
  fit <- kmquant_amap_native(y, 4L, 42L, 50L)
  expect_equal(fit$centers, unname(expected$centers))
  expect_equal(fit$cluster, unname(expected$cluster))
})

test_that("a run restarted after every iteration goes on past emptied clusters as one run does", {
  # By hand: the centre at 50.25 loses every point in iteration 1; the one at 6.25 takes 4
  # and 9 in iteration 1 (mean 6.5), then loses 4 to (0 + 2 + 3) / 3 and 9 to 11 in
  # iteration 2; the run has converged after iteration 3, with two NaN centres. (No point is
  # ever equidistant from two centres.)
  y <- cbind(c(0, 2, 3, 4, 9, 11), 0, 0)
  start <- cbind(c(0.25, 6.25, 12.25, 50.25), 0, 0)
  for (shared in list(kmquant_stats_shared, kmquant_amap_shared)) {
    centres <- start
    for (n in 1:5) {
      step <- shared(y, centres, 1L)
      single <- shared(y, start, n)
      expect_equal(step$status, "ok")
      # identical(): bit for bit, NaN for NaN
      expect_identical(step$centers, single$centers)
      expect_identical(step$cluster, single$cluster)
      centres <- step$centers
    }
    expect_identical(centres[, 1], c(2.25, NaN, 10, NaN))
    expect_identical(single$cluster, c(1L, 1L, 1L, 1L, 3L, 3L))
  }
})
