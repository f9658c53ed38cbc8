"""A span dataset's file turns into the stage packages' policies and labeler config in one call each."""

from gleaner.datasets import DEFAULT_DATASETS_DIR, load_dataset, spec_hash
from gleaner.labeling.llm import LLMLabelerConfig
from gleaner.schemas import ProductPage

SPEC = load_dataset(DEFAULT_DATASETS_DIR / "product_entities.yaml")


def test_span_policies_come_from_the_file():
    assert (SPEC.label_policy().min_votes, SPEC.label_policy().confidence_threshold) == (2, 0.92)
    gate = SPEC.candidate_policy().gate
    assert (gate.record_model, gate.input_field, gate.labels) == (ProductPage, "title", SPEC.label_names)
    assert (gate.kappa_pairs, gate.span_f1_threshold) == ((), 0.8)


def test_the_labeler_config_asks_the_declared_task_under_a_versioned_prompt():
    base = LLMLabelerConfig(api_key="k", model="claude-haiku-4-5", prompt_version="sentiment-v1", max_tokens=512)
    config = SPEC.labeler_config(base)
    assert config.prompt_version.startswith(f"product_entities-{spec_hash(SPEC)[:12]}-")
    assert (config.task, config.max_tokens, config.labels, config.model) == (
        "spans",
        1024,
        SPEC.label_names,
        "claude-haiku-4-5",
    )
    assert "PRODUCT_TYPE: What kind of product it is" in config.system_prompt
