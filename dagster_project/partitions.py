"""Reporting years as dynamic partitions: a new year folder under raw/ becomes a partition
(the sensor and `xxgk run` add it) without a code change."""

import warnings

import dagster as dg

# BackfillPolicy is marked beta; the warning would print on every import of the code location.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

year_partitions = dg.DynamicPartitionsDefinition(name="reporting_year")

# A backfill over many years runs as one run that loops over its years: a run per year costs
# seconds of start-up, a loop costs nothing.
single_run = dg.BackfillPolicy.single_run()
