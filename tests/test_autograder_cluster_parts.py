"""The parts of cluster grading that need no cluster: what crosses the wire, which
addresses are refused, what a worker compares with the instructor's machine, and the
certificates (``tests/test_autograder_cluster.py`` runs the real thing)."""
import dataclasses
import io
import stat
import tarfile

import pytest

from autograder.cluster import wire
from autograder.cluster.address import PLAIN_OPT_OUT, ClusterRefused, check_members, security_for
from autograder.cluster.certificates import ROLES, write_certificates
from autograder.cluster.worker import Expectation, problems
from autograder.sandbox.channel import Frames
from autograder.sandbox.run import RunResult, cgroup_base
from autograder.spec import load_spec


def _run(*frames) -> RunResult:
    collected = Frames(2**20)
    for kind, name, payload in frames:
        collected.feed(f"AGR1 {kind} {name} {len(payload)}\n".encode() + payload)
    return RunResult(0, False, 1.5, collected, "printed", 123, False)


def test_a_result_crosses_the_wire_as_the_frames_the_sandbox_wrote():
    sent = _run(("status", "r0", b'{"status": "ok"}'), ("array", "r0_0", b"\x93NUMPY..."), ("cell", "c1", b"{}"))
    got = wire.run_from_wire(wire.run_to_wire(sent, "tcp://10.0.0.7:4000"))
    assert got.frames.frames == sent.frames.frames and got.frames.problem == ""
    assert (got.returncode, got.seconds, got.log_tail, got.peak_memory, got.worker) == (
        0, 1.5, "printed", 123, "tcp://10.0.0.7:4000")


@pytest.mark.parametrize("change, words", [
    ({"returncode": "0"}, "returncode is not int"),
    ({"timed_out": 1}, "timed_out is not bool"),
    ({"peak_memory": True}, "peak_memory is not int"),
    ({"frames": "AGR1"}, "frames is not bytes"),
    ({"extra": 1}, "not a sandbox result"),
])
def test_a_result_of_the_wrong_shape_is_refused(change, words):
    message = {**wire.run_to_wire(_run(), "w"), **change}
    with pytest.raises(wire.WireError, match=words):
        wire.run_from_wire(message)


def test_frames_from_a_worker_are_read_under_the_local_budget():
    message = wire.run_to_wire(_run(), "w")
    message["frames"] = b"AGR1 array r0_0 99999999999\n"
    assert "larger than the" in wire.run_from_wire(message).frames.problem
    message["frames"], message["problem"] = b"", "the results channel carried something that is not a result"
    assert wire.run_from_wire(message).frames.problem == message["problem"]


def test_a_job_unpacks_as_it_was_packed(tmp_path):
    (tmp_path / "job" / "in").mkdir(parents=True)
    (tmp_path / "job" / "work" / "data").mkdir(parents=True)
    (tmp_path / "job" / "in" / "cells.json").write_text('["x = 1"]')
    (tmp_path / "job" / "work" / "data" / "model.pt").write_bytes(b"\0" * 1000)
    (tmp_path / "job" / "pyvenv.cfg").write_text("not sent")
    wire.unpack_job(wire.pack_job(tmp_path / "job"), tmp_path / "copy")
    assert sorted(p.relative_to(tmp_path / "copy").as_posix() for p in (tmp_path / "copy").rglob("*")) == [
        "in", "in/cells.json", "work", "work/data", "work/data/model.pt"]
    assert (tmp_path / "copy" / "work" / "data" / "model.pt").read_bytes() == b"\0" * 1000


def _tar(*members) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info in members:
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return buffer.getvalue()


def test_a_job_with_anything_but_its_two_folders_or_with_links_is_refused(tmp_path):
    outside = tarfile.TarInfo("../escape.txt")
    outside.size = 1
    with pytest.raises(wire.WireError, match="a job holds only in and work/"):
        wire.unpack_job(_tar(outside), tmp_path / "a")
    link = tarfile.TarInfo("in/passwd")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    with pytest.raises(tarfile.FilterError):
        wire.unpack_job(_tar(link), tmp_path / "b")


@pytest.mark.parametrize("address", ["tcp://192.0.2.10:8786", "192.0.2.10:8786", "ws://192.0.2.10:8786"])
def test_a_network_address_without_tls_is_refused_unless_the_opt_out_is_given(address):
    with pytest.raises(ClusterRefused, match=f"anyone who can reach that scheduler can run any code.*{PLAIN_OPT_OUT}"):
        security_for(address)
    assert security_for(address, plain_network_allowed=True) is not None


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "tcp://localhost:8786", "tcp://[::1]:8786"])
def test_loopback_needs_no_tls(address):
    assert not security_for(address).require_encryption


def test_tls_needs_certificates_in_dasks_configuration(tmp_path):
    import dask.config

    with pytest.raises(ClusterRefused, match="names no distributed.comm.tls.ca-file and no "
                                             "distributed.comm.tls.client.cert"):
        security_for("tls://grader.example.edu:8786")
    config = write_certificates(tmp_path / "certs")
    with dask.config.set({"distributed.comm.tls.ca-file": str(config.parent / "ca.pem"),
                          "distributed.comm.tls.client.cert": str(config.parent / "client.pem"),
                          "distributed.comm.tls.client.key": str(config.parent / "client-key.pem")}):
        security = security_for("tls://grader.example.edu:8786")
    assert security.require_encryption and security.tls_client_cert.endswith("client.pem")


def test_a_tunnel_to_a_scheduler_on_the_network_is_refused():
    check_members(["tls://10.0.0.2:8786", "tcp://127.0.0.1:40000"])
    with pytest.raises(ClusterRefused, match=r"talks over the network without TLS \(tcp://10.0.0.3:4000\)"):
        check_members(["tcp://127.0.0.1:8786", "tcp://10.0.0.3:4000"])
    check_members(["tcp://10.0.0.3:4000"], plain_network_allowed=True)


@pytest.mark.skipif(cgroup_base() is None, reason="grading needs a writable memory cgroup")
def test_a_worker_names_each_difference_from_the_instructors_machine():
    spec = load_spec("a1-convolution")
    here = Expectation.here(spec)
    assert problems(here) == []
    other = dataclasses.replace(here, course_version="0.0.9", python="3.9",
                                packages=(("numpy", "1.0.0"), ("matplotlib", here.packages[1][1]),
                                          ("ipython", here.packages[2][1]), ("no-such-package", "1.0")))
    assert problems(other) == [
        f"cnncourse {here.course_version} is installed here, the instructor grades with 0.0.9",
        f"Python {here.python} here, 3.9 on the instructor's machine",
        f"numpy {here.packages[0][1]} here, 1.0.0 on the instructor's machine",
        "no-such-package not installed here, 1.0 on the instructor's machine"]
    changed_code = dataclasses.replace(here, code_digest="0" * 64)
    assert problems(changed_code) == ["the autograder's sandbox code here differs from the instructor's (same "
                                      "version, other files): install the instructor's copy of cnncourse"]


def test_each_expectation_has_its_own_resource():
    here = Expectation.here(load_spec("a1-convolution"))
    gpu = dataclasses.replace(here, gpu=True)
    assert here.resource != gpu.resource and here.resource == Expectation.here(load_spec("a1-convolution")).resource
    assert here.task_resources() == {"SANDBOX": 1, here.resource: 1}
    assert gpu.task_resources() == {"SANDBOX": 1, gpu.resource: 1, "GPU": 1}


def test_the_certificates_are_signed_by_their_ca_and_the_keys_private(tmp_path):
    from cryptography import x509

    config = write_certificates(tmp_path / "certs", days=30)
    folder = config.parent
    ca = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
    for role in ROLES:
        cert = x509.load_pem_x509_certificate((folder / f"{role}.pem").read_bytes())
        cert.verify_directly_issued_by(ca)
        assert stat.S_IMODE((folder / f"{role}-key.pem").stat().st_mode) == 0o600
    assert not list(folder.glob("ca-key*")), "the CA's key is never written"
    assert f"ca-file: {folder / 'ca.pem'}" in config.read_text()
    with pytest.raises(FileExistsError, match="already holds"):
        write_certificates(folder)
    with pytest.raises(ValueError, match="days must be at least 1"):
        write_certificates(tmp_path / "other", days=0)


@pytest.mark.skipif(cgroup_base() is None, reason="grading needs a writable memory cgroup")
def test_a_worker_without_a_memory_cgroup_is_refused_unless_the_instructor_waives_it(monkeypatch):
    import autograder.cluster.worker as worker

    here = Expectation.here(load_spec("a1-convolution"))
    assert here.needs_memory_cgroup
    monkeypatch.setattr(worker, "cgroup_base", lambda: None)  # a worker grading with AUTOGRADER_ALLOW_NO_CGROUP=1
    assert problems(here) == ["no memory cgroup here (AUTOGRADER_ALLOW_NO_CGROUP=1): its sandboxes would be "
                              "bounded more weakly than the instructor's run requires"]
    monkeypatch.setenv("AUTOGRADER_ALLOW_NO_CGROUP", "1")  # the instructor's own waiver
    assert problems(Expectation.here(load_spec("a1-convolution"))) == []
