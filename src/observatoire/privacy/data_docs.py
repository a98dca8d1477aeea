"""The Data Docs site of the gates: one site builder per process, and a cheap index.

GX rebuilds the Data Docs index on every run by reading each validation result it lists (about a
millisecond each: hundreds per gate call once the history is long). The index only needs, per
result, its success and a little batch metadata: :class:`IndexFacts` keeps those in
``state/gx/index_facts.json`` (written when a gate records a result, read by the next runs), and the
index builder is given a view of the data context that answers from them. A result the file does
not know is read from the store as before; the pages themselves are GX's, unchanged.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FACTS_FILE = "index_facts.json"
_META_KEYS = ("batch_kwargs", "batch_spec", "active_batch_definition")


def _key(suite_name: str, run_id: Any, batch_identifier: Any) -> str:
    run = list(run_id.to_tuple()) if run_id is not None else None
    return json.dumps([suite_name, run, str(batch_identifier)])


class IndexFacts:
    """Success and batch metadata of validation results, by result key, kept on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.facts: dict[str, dict[str, Any]] = {}
        self.used: set[str] = set()
        self.dirty = False
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self.facts = loaded
        except (OSError, ValueError):
            pass  # none yet, or unreadable: rebuilt from the results as they are read

    def remember(self, suite_name: str, run_id: Any, batch_identifier: Any, result: Any) -> None:
        meta = result.meta or {}
        fact = {
            "success": bool(result.success),
            "meta": json.loads(json.dumps({k: meta[k] for k in _META_KEYS if k in meta}, default=str)),
        }
        key = _key(suite_name, run_id, batch_identifier)
        if self.facts.get(key) != fact:
            self.facts[key] = fact
            self.dirty = True

    def save(self, keep: int) -> None:
        """Writes the facts used by the last index build (and the newest ones), at most ``keep``."""
        if not self.dirty:
            return
        kept = {k: v for k, v in self.facts.items() if k in self.used}
        for key in reversed(list(self.facts)):
            if len(kept) >= keep:
                break
            kept.setdefault(key, self.facts[key])
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(kept), encoding="utf-8")
        tmp.replace(self.path)
        self.facts, self.used, self.dirty = kept, set(), False


class IndexContext:
    """The data context as the index builder sees it: validation results come from :class:`IndexFacts`."""

    def __init__(self, context: Any, facts: IndexFacts) -> None:
        self._context = context
        self._facts = facts

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def get_validation_result(
        self,
        batch_identifier: Any = None,
        expectation_suite_name: Any = None,
        run_id: Any = None,
        validation_results_store_name: Any = None,
        **kwargs: Any,
    ) -> Any:
        from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult

        key = _key(str(expectation_suite_name), run_id, batch_identifier)
        fact = self._facts.facts.get(key)
        if fact is None:
            result = self._context.get_validation_result(
                batch_identifier=batch_identifier,
                expectation_suite_name=expectation_suite_name,
                run_id=run_id,
                validation_results_store_name=validation_results_store_name,
                **kwargs,
            )
            if not isinstance(result, ExpectationSuiteValidationResult):
                return result
            self._facts.remember(str(expectation_suite_name), run_id, batch_identifier, result)
            fact = self._facts.facts[key]
        self._facts.used.add(key)
        return ExpectationSuiteValidationResult(
            success=bool(fact["success"]), results=[], suite_name=str(expectation_suite_name), meta=dict(fact["meta"])
        )


def site_builder(context: Any, site_name: str, config: dict[str, Any], project_dir: Path) -> tuple[Any, IndexFacts]:
    """A GX ``SiteBuilder`` for our site, its index fed by :class:`IndexFacts`, its templates cached."""
    from great_expectations.render.renderer.site_builder import SiteBuilder

    builder = SiteBuilder(
        data_context=context,
        site_name=site_name,
        runtime_environment={"root_directory": context.root_directory},
        **{k: v for k, v in config.items() if k != "class_name"},
    )
    facts = IndexFacts(project_dir / FACTS_FILE)
    index_builder = builder.site_index_builder
    if hasattr(index_builder, "data_context"):
        index_builder.data_context = IndexContext(context, facts)
    try:  # GX compiles its page templates again for every builder: keep them compiled on disk
        from jinja2 import FileSystemBytecodeCache

        cache_dir = project_dir / "jinja_cache"
        cache_dir.mkdir(parents=True, exist_ok=True)
        cache = FileSystemBytecodeCache(str(cache_dir))
        for part in [*builder.site_section_builders.values(), index_builder]:
            env = getattr(getattr(part, "view_class", None), "env", None)
            if env is not None:
                env.bytecode_cache = cache
    except (ImportError, AttributeError, OSError) as error:  # only a speed-up
        log.debug("no template cache for Data Docs: %s", error)
    return builder, facts
