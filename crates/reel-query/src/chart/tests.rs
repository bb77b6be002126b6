//! Table-driven tests of the chart computations on small data sets worked out by hand.
