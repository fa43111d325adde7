# SPDX-License-Identifier: MIT
#
# test_integrations_doc.py: the recipes of docs/integrations.md's "Enedis
# exports" and "Python client" sections, run as written against a real
# fed-node on loopback. In those sections, each ```sh block runs in a
# copy of tests/fixtures/enedis (with `fedctl` on PATH and FED_NODE,
# FED_STREAM, FED_TOKEN, FED_TZ set) and each ```python block runs with
# the enfed package importable and the same variables; a ```text block
# right after one is its expected standard output, compared exactly. A
# block that fails, or prints something else, fails the test. Python
# blocks are skipped (said so) without python3-protobuf or protoc.
# Usage: test_integrations_doc.py SOURCE_DIR FED_NODE FEDCTL [--show]

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SRC, NODE, FEDCTL = (os.path.abspath(a) for a in sys.argv[1:4])
SHOW = "--show" in sys.argv
SECTIONS = ("## Enedis exports", "## Python client")
TOKEN = "integrations-doc-admin-token"


def blocks():
    """(info, text, line) of each fenced block of the tested sections."""
    with open(os.path.join(SRC, "docs", "integrations.md")) as f:
        lines = f.read().split("\n")
    out, inside, fence = [], False, None
    for n, line in enumerate(lines, 1):
        if line.startswith("## "):
            inside = line.strip() in SECTIONS
        if not inside and fence is None:
            continue
        if fence is None and line.startswith("```"):
            fence = (line[3:].strip(), [], n)
        elif fence is not None and line.startswith("```"):
            out.append((fence[0], "\n".join(fence[1]) + "\n", fence[2]))
            fence = None
        elif fence is not None:
            fence[1].append(line)
    return out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    work = tempfile.mkdtemp(prefix="enfed-doc-")
    node = None
    failed = 0
    try:
        files = os.path.join(work, "files")
        shutil.copytree(os.path.join(SRC, "tests", "fixtures", "enedis"),
                        files)
        bindir = os.path.join(work, "bin")
        os.mkdir(bindir)
        os.symlink(FEDCTL, os.path.join(bindir, "fedctl"))
        rpc = "tcp://127.0.0.1:%d" % free_port()
        stream = "tcp://127.0.0.1:%d" % free_port()
        log = open(os.path.join(work, "node.log"), "w")
        node = subprocess.Popen(
            [NODE, "--name=household", "--data-dir=" + work + "/data",
             "--listen=" + rpc, "--stream=" + stream,
             "--admin-token=" + TOKEN, "--log-level=notice"],
            stdout=subprocess.DEVNULL, stderr=log)
        for _ in range(200):
            with open(log.name) as f:
                if "ready" in f.read():
                    break
            time.sleep(0.05)
        env = dict(os.environ, FED_NODE=rpc, FED_STREAM=stream,
                   FED_TOKEN=TOKEN, FED_TZ="Europe/Paris",
                   PATH=bindir + ":" + os.environ["PATH"],
                   HOME=work, XDG_CONFIG_HOME=work + "/config",
                   PYTHONDONTWRITEBYTECODE="1")
        # Debian's python3-protobuf is for Debian's python3, which may not
        # be the first python3 on PATH.
        py = None
        for cand in (sys.executable, "/usr/bin/python3"):
            if shutil.which("protoc") and os.path.exists(cand) and \
                    subprocess.run([cand, "-c", "import google.protobuf"],
                                   capture_output=True).returncode == 0:
                py = cand
                break
        py_ok = py is not None
        if py_ok:
            gen = os.path.join(work, "gen")
            os.mkdir(gen)
            protos = [os.path.join(SRC, "proto", "enfed", "v1", p) for p in
                      sorted(os.listdir(os.path.join(SRC, "proto", "enfed",
                                                     "v1")))]
            subprocess.run(["protoc", "-I", os.path.join(SRC, "proto"),
                            "--python_out=" + gen] + protos, check=True)
            env["PYTHONPATH"] = gen + ":" + os.path.join(SRC, "clients",
                                                         "python")
        bl = blocks()
        ran = 0
        for i, (info, text, line) in enumerate(bl):
            if info not in ("sh", "python"):
                continue
            if info == "python" and not py_ok:
                print("SKIP integrations.md:%d (no python3-protobuf)" % line)
                continue
            cmd = ["sh", "-e", "-c", text] if info == "sh" else \
                [py, "-c", text]
            r = subprocess.run(cmd, cwd=files, env=env, capture_output=True,
                               text=True, timeout=60)
            ran += 1
            want = bl[i + 1][1] if i + 1 < len(bl) and \
                bl[i + 1][0] == "text" else None
            ok = r.returncode == 0 and (want is None or r.stdout == want)
            if SHOW or not ok:
                print("--- integrations.md:%d (%s), exit %d\n%s%s"
                      % (line, info, r.returncode, r.stdout, r.stderr))
            if not ok:
                failed += 1
                if want is not None:
                    print("+++ expected:\n" + want)
            else:
                print("ok   integrations.md:%d (%s)" % (line, info))
        if ran == 0:
            print("FAIL no block found in " + " / ".join(SECTIONS))
            failed += 1
    finally:
        if node is not None:
            node.send_signal(signal.SIGTERM)
            try:
                node.wait(10)
            except subprocess.TimeoutExpired:
                node.kill()
        shutil.rmtree(work, ignore_errors=True)
    print("integrations.md: %d failed" % failed)
    sys.exit(1 if failed else 0)


main()
