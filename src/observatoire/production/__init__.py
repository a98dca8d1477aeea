"""The production profile (DESIGN.md §8): docker-compose.yml, the Dockerfile, and their native proof.

- :mod:`.compose`  reads docker-compose.yml / Dockerfile: the single source of the settings
- :mod:`.stack`    starts that configuration natively on PostgreSQL + Redis + Celery (no Docker)
- :mod:`.api`      a small client of Airflow's REST API v2 (JWT login)
- :mod:`.check`    the end-to-end check behind ``observatoire prod-check`` and tests/production
- :mod:`.celery_config` the workers' Celery configuration: Airflow's, plus the worker preload
"""
