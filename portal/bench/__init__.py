"""The benchmark harness behind ``make bench`` (``manage.py run_bench``).

- ``seed``: a large data set by bulk inserts (minutes, not hours);
- ``pages``: SQL queries and median server time of every list page, as a
  ratio to ``/healthz`` measured in the same run;
- ``servers``: gunicorn, nginx and moto on loopback, for the bench and the
  deploy tests;
- ``transfers``: 1 GiB downloads and uploads through the real servers, and the
  worker's peak RSS;
- ``report``: the table, printed and written to ``docs/benchmarks.md``.

Every number is a ratio to a baseline measured in the same run, so results
from different machines compare.
"""
