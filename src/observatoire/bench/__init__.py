"""The benchmark (``observatoire bench``): the cost of every stage at full scale, and how it grows.

Every stage runs in its own child process so that its wall time, CPU time (user + system) and peak RSS
are measured cleanly by its parent with ``os.wait4``: by default a fork of one warm worker that preloaded
the libraries once, as the platform's worker processes do; with ``--cold-stages`` a fresh interpreter
(``python -m observatoire.bench.stages``):

- :mod:`.measure`: running a measured child, the machine's description;
- :mod:`.worker`: the warm worker (preload once, fork per stage) and its client;
- :mod:`.stages`: what each child does (generation, ingestion per partner, the physical reference
  reads, dbt build, publish gate, similarity index, publication, query latency);
- :mod:`.partners`: the simulated partners in their own process, with a frozen clock the benchmark
  advances for the daily increment;
- :mod:`.runner`: the scenarios (growth over 1, 3, 10 years; one new day on top of the longest);
- :mod:`.report`: targets, JSON and Markdown results.

This is a benchmark, not a timed test: nothing here fails on speed.
"""
