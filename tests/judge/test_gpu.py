"""Real CUDA where there is one; and on a CPU run, do the CUDA checks skip, say why, and cost nothing?

The ``gpu`` tests skip with the reason where no CUDA device is visible. Whether one is, is asked
in a sandbox child: this process never initialises CUDA.
"""

import functools
import resource

import pytest
import torch

from grader import registry, sandbox
from grader.checking import check_seed, cuda_available
from grader.checks import test_exercise7_devices as devices_checks
from grader.judge import engine, expected
from tests.helpers import KIT, checks, grade, solution_with, submission_from

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
    assert capped.value != resource.RLIM_INFINITY
    assert uncapped.value == resource.RLIM_INFINITY


def test_cuda_checks_skip_with_a_reason_on_a_cpu_run():
    doc, internal = grade(KIT / "solutions", [DEVICES], device="cpu")
    found = checks(doc)
    assert internal == 0
    for name in CUDA_CHECKS:
        assert (found[name]["status"], found[name]["score"], found[name]["max_score"]) == ("skipped", 0.0, 0.0)
        assert "--device cuda" in found[name]["message"]
    assert doc["score"] == doc["max_score"] > 0
    assert engine.passed(doc)


class Reached(Exception):
    """A check got as far as running the student's code."""


class FirstChild:
    """A student that stops a check at its first child, naming the probe."""

    def run(self, probe, *args):
        raise Reached(probe.__name__)


def test_a_release_recorded_on_a_cpu_holds_what_the_cuda_checks_ask_on_a_gpu(tmp_path):
    """The release is recorded where CUDA checks skip; they ask the reference before the skip, so a GPU run's replay finds it all."""
    seed, stem = 2**31 + 7, DEVICES.stem
    recorder = expected.Recorder()
    _, internal = grade(KIT / "solutions", [DEVICES], seed=seed, device="cpu", source=recorder)
    assert internal == 0
    expected.write(tmp_path, {seed: recorder.book}, {stem: {}})
    replay = expected.Replay(expected.release.__wrapped__(tmp_path), seed)
    for name in CUDA_CHECKS:
        test = f"test_{name.split('::')[1]}"
        reference = replay.reference(stem, test)
        rng = torch.Generator().manual_seed(check_seed(seed, test))
        with pytest.raises(Reached, match="probe_cuda_"):
            getattr(devices_checks, test)(FirstChild(), reference, rng, "cuda")
        assert reference.asked == len(recorder.book[(stem, test)]) > 0


@pytest.mark.gpu
def test_solutions_get_full_marks_on_cuda(cuda):
    doc, internal = grade(KIT / "solutions", [TRAINING, DEVICES], device="cuda")
    found = checks(doc)
    assert internal == 0
    assert doc["device"] == "cuda"
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
