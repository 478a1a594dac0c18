"""Real CUDA where there is one; and on a CPU run, do the CUDA checks skip, say why, and cost nothing?

The ``gpu`` tests skip with the reason where no CUDA device is visible. Whether one is, is asked
in a sandbox child: this process never initialises CUDA.
"""

import functools
import resource

import pytest

from grader import engine, registry, sandbox
from grader.checking import cuda_available
from tests.conftest import KIT, checks, grade, solution_with, submission_from

CUDA_CHECKS = ("exercise7_devices::cuda_devices", "exercise7_devices::cuda_training")
TRAINING, DEVICES = registry.resolve("training"), registry.resolve("devices")


@functools.cache
def has_cuda() -> bool:
    outcome = sandbox.run(cuda_available, limits=sandbox.Limits(timeout=120, memory=None))
    return outcome.status == "ok" and outcome.value is True


@pytest.fixture
def cuda():
    if not has_cuda():
        pytest.skip("no CUDA device here: torch.cuda.is_available() is False in a sandbox child")


def address_limit(module) -> int:
    return resource.getrlimit(resource.RLIMIT_AS)[0]


def test_a_cuda_child_keeps_its_address_space_uncapped():
    """The CUDA driver reserves far more virtual memory than it uses, so a cap breaks its start;
    such a child still has its resident memory watched."""
    capped = sandbox.run(address_limit, limits=sandbox.Limits(memory=1 << 30))
    uncapped = sandbox.run(address_limit, limits=sandbox.Limits(memory=1 << 30, address_space=False))
    assert capped.value != resource.RLIM_INFINITY and uncapped.value == resource.RLIM_INFINITY


def test_cuda_checks_skip_with_a_reason_on_a_cpu_run():
    doc, internal = grade(KIT / "solutions", [DEVICES], device="cpu")
    found = checks(doc)
    assert internal == 0
    for name in CUDA_CHECKS:
        assert (found[name]["status"], found[name]["score"], found[name]["max_score"]) == ("skipped", 0.0, 0.0)
        assert "--device cuda" in found[name]["message"]
    assert doc["score"] == doc["max_score"] > 0 and engine.passed(doc)


@pytest.mark.gpu
def test_solutions_get_full_marks_on_cuda(cuda):
    doc, internal = grade(KIT / "solutions", [TRAINING, DEVICES], device="cuda")
    found = checks(doc)
    assert internal == 0 and doc["device"] == "cuda"
    assert {name: c["message"] for name, c in found.items() if c["status"] != "passed"} == {}
    assert all(found[name]["max_score"] > 0 for name in CUDA_CHECKS)
    assert doc["score"] == doc["max_score"]


@pytest.mark.gpu
def test_train_step_that_leaves_the_batch_on_the_cpu_fails_on_cuda(cuda, tmp_path):
    source = solution_with(
        DEVICES.stem,
        """
def train_step(model, batch, criterion, optimizer, device):
    inputs, targets = batch
    optimizer.zero_grad()
    loss = criterion(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()
""",
    )
    doc, internal = grade(submission_from(tmp_path, DEVICES.stem, source), [DEVICES], device="cuda")
    found = checks(doc)
    assert internal == 0
    assert found["exercise7_devices::train_step"]["status"] == "passed"  # on the CPU, nothing tells
    assert found["exercise7_devices::cuda_training"]["score"] == 0
