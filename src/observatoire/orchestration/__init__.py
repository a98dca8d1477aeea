"""Orchestration: the embedded Airflow home, the whole job through Airflow, and its commands.

Nothing here imports Airflow at module level: the Airflow configuration is read once, when Airflow is
first imported, so the environment (``AIRFLOW_HOME``, SQLite, LocalExecutor, connections…) must be in
place before that import. ``environment.activate()`` does that.
"""
