"""The algorithm transparency notice (CRPA L311-3-1, R311-3-1-2), generated from live data.

API: ``write_notice(db=None, out=None) -> list[Path]``; ``collect_facts(db)``; ``render_markdown(facts, lang)``.
"""
