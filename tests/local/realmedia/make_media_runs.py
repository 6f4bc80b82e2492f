"""Run by a SwanLab SDK venv's python (with Pillow, numpy and soundfile): real local-mode runs
that print to the console and log media, plus ``manifest.json`` saying exactly what they logged.

    make_media_runs.py OUT

Writes ``OUT/media-demo/`` (one SwanLab log folder) with two runs:

* ``media-finished``: stdout and stderr lines (unicode, an empty line, a line longer than the
  SDK's 1,024-character cut, a carriage-return progress line), then four steps of media: three
  captioned PNGs per step, an uncaptioned PNG, audio every other step, two texts per step, a GIF
  (logged as ``swanlab.Video``), a JPEG, an ECharts chart, a 3D point cloud, an HTML page
  (0.10.x) and a scalar;
* ``media-crashed``: a few lines and one image, then ``finish(state="crashed", error=...)``.

Each console line is waited for in the console file before the next one is printed, so the
order of stdout and stderr lines is deterministic. The expected bytes of every media item come
from the SDK's own media object (its encoded buffer) before it is logged, not from the files.
Uses only the public API (``swanlab.init/log/finish`` and the media classes).
"""

import glob
import hashlib
import json
import math
import os
import shutil
import sys
import time
from typing import Any

import numpy as np  # type: ignore[import-not-found]  # the SDK venv's
import swanlab  # type: ignore[import-not-found]
from PIL import Image as PILImage  # type: ignore[import-not-found]

PROJECT = "media-demo"
LONG = "0123456789" * 300  # 3,000 characters: both SDKs keep the first 1,024
SDK_LINE_CUT = 1024
GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
ERROR = (
    "Traceback (most recent call last):\n"
    '  File "train.py", line 7, in <module>\n'
    "ValueError: loss is NaN (simulated) — 数值错误"
)


def version():
    return tuple(int(x) for x in swanlab.__version__.split(".")[:2])


def start(logdir, name):
    before = set(glob.glob(os.path.join(logdir, "run-*")))
    if version() >= (0, 8):
        run = swanlab.init(mode="local", project=PROJECT, log_dir=logdir, name=name)
    else:
        run = swanlab.init(mode="local", project=PROJECT, logdir=logdir, experiment_name=name)
    found = getattr(run, "dir", None) or getattr(getattr(run, "settings", None), "run_dir", None)
    if not found:
        found = sorted(set(glob.glob(os.path.join(logdir, "run-*"))) - before)[-1]
    return str(found)


def console_lines(run_dir):
    data = b""
    for path in sorted(glob.glob(os.path.join(run_dir, "console", "*.log"))):
        if not path.endswith("error.log"):
            with open(path, "rb") as f:
                data += f.read()
    return data.decode("utf-8").split("\n")[:-1]


def wait(cond, what, timeout=60):
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.02)


class Console:
    """Prints one line at a time and waits until the SDK has written it to the console file."""

    def __init__(self, run_dir):
        self.run_dir = run_dir
        self.lines = []  # what we printed, as the console file should hold it

    def say(self, text, stream="stdout", expect=None, dropped=False):
        before = len(console_lines(self.run_dir))
        out = sys.stdout if stream == "stdout" else sys.stderr
        out.write(text + "\n")
        out.flush()
        if dropped:  # the SDK writes no line for it (checked by the next line's position)
            return
        expect = text[:SDK_LINE_CUT] if expect is None else expect
        wait(
            lambda: (lambda got: len(got) > before and got[-1] == expect)(
                console_lines(self.run_dir)
            ),
            f"console line {expect[:40]!r}",
        )
        self.lines.append({"text": expect, "stream": stream})


def item(key, step, idx, kind, caption, content, ext):
    return {
        "key": key,
        "step": step,
        "idx": idx,
        "kind": kind,
        "caption": caption,
        "sha256": None if content is None else hashlib.sha256(content).hexdigest(),
        "bytes": None if content is None else len(content),
        "ext": ext,
    }


def image(step, idx, caption=None, size=4, file_type=None):
    pil = PILImage.new("RGB", (size, size), ((step * 60) % 256, (idx * 90) % 256, 30))
    kw = {"caption": caption} if caption is not None else {}
    if file_type:
        kw["file_type"] = file_type
    obj = swanlab.Image(pil, **kw)
    return obj, obj.buffer.getvalue()


def audio(step):
    t = np.linspace(0.0, 1.0, 400, dtype=np.float32)
    wave = (0.5 * np.sin(2 * math.pi * (5 + step) * t)).astype(np.float32)[None, :]
    obj = swanlab.Audio(wave, sample_rate=4000, caption=f"tone {step}")
    return obj, obj.buffer.getvalue()


def finished_run(logdir, gif_path):
    run_dir = start(logdir, "media-finished")
    con = Console(run_dir)
    con.say("== begin ==")
    con.say("plain ascii line")
    con.say("unicode: 中文 ✓ émoji 🚀 Ünïcödé")
    con.say("stderr: a warning line", stream="stderr")
    con.say("", dropped=version() < (0, 8))  # 0.7.x drops empty lines
    con.say("tab\tseparated\tvalues")
    con.say(LONG)
    con.say("progress  10%\rprogress 100%", expect="progress 100%")
    con.say("stderr: another 警告", stream="stderr")
    con.say("== media ==")
    media = []
    for step in range(4):
        row: dict[str, Any] = {}
        imgs = []
        for i in range(3):
            obj, content = image(step, i, caption=f"img {step}.{i}")
            imgs.append(obj)
            media.append(
                item("samples/images", step, i, "image", f"img {step}.{i}", content, "png")
            )
        row["samples/images"] = imgs
        obj, content = image(step, 7, size=2)
        row["samples/mask"] = obj
        media.append(item("samples/mask", step, 0, "image", None, content, "png"))
        if step % 2 == 0:
            obj, content = audio(step)
            row["samples/audio"] = obj
            media.append(item("samples/audio", step, 0, "audio", f"tone {step}", content, "wav"))
        texts = [f"step {step}: 生成的文本 ✓", f"second text at {step}"]
        row["samples/text"] = [
            swanlab.Text(texts[0], caption=f"text@{step}"),
            swanlab.Text(texts[1]),
        ]
        media.append(
            item("samples/text", step, 0, "text", f"text@{step}", texts[0].encode(), "txt")
        )
        media.append(item("samples/text", step, 1, "text", None, texts[1].encode(), "txt"))
        if step == 1:
            row["samples/gif"] = swanlab.Video(gif_path, caption="a gif")
            media.append(item("samples/gif", step, 0, "image", "a gif", GIF, "gif"))
        if step == 3:
            obj, content = image(step, 5, caption="a jpeg", size=8, file_type="jpg")
            row["samples/photo"] = obj
            media.append(item("samples/photo", step, 0, "image", "a jpeg", content, "jpg"))
        if step == 0:
            chart = swanlab.echarts.Line().add_xaxis(["a", "b"]).add_yaxis("s", [1, 2])
            row["charts/line"] = chart
            media.append(item("charts/line", step, 0, "echarts", None, None, "json"))
        if step == 2:  # kinds the local dashboard does not register (only the folder has them)
            points = np.arange(30, dtype=np.float32).reshape(10, 3) / 10
            cloud = swanlab.Object3D(points, caption="a point cloud")
            row["samples/cloud"] = cloud
            buffer = getattr(cloud, "buffer", None)
            content = buffer.getvalue() if buffer is not None else None
            media.append(item("samples/cloud", step, 0, "object3d", "a point cloud", content, None))
            if hasattr(swanlab, "Html"):  # 0.10.x
                page = "<h1>step 2 ✓</h1>"
                row["samples/page"] = swanlab.Html(page, caption="a page")
                media.append(item("samples/page", step, 0, "html", "a page", page.encode(), "html"))
        row["train/loss"] = 1.0 / (step + 1)
        swanlab.log(row, step=step)
    con.say("== end ==")
    swanlab.finish()
    return {
        "kind": "finished",
        "run_dir": os.path.basename(run_dir),
        "console": con.lines,
        "media": media,
        "error": None,
    }


def crashed_run(logdir):
    run_dir = start(logdir, "media-crashed")
    con = Console(run_dir)
    con.say("== begin ==")
    con.say("about to fail")
    obj, content = image(0, 0, caption="last image")
    swanlab.log({"samples/images": obj}, step=0)
    media = [item("samples/images", 0, 0, "image", "last image", content, "png")]
    con.say("== end ==")
    if version() >= (0, 8):
        swanlab.finish(state="crashed", error=ERROR)
    else:
        from swanlab.data.run.helper import SwanLabRunState  # type: ignore[import-not-found]

        swanlab.finish(state=SwanLabRunState.CRASHED, error=ERROR)
    return {
        "kind": "crashed",
        "run_dir": os.path.basename(run_dir),
        "console": con.lines,
        "media": media,
        "error": ERROR,
    }


def main():
    out = os.path.abspath(sys.argv[1])
    shutil.rmtree(out, ignore_errors=True)
    logdir = os.path.join(out, PROJECT)
    os.makedirs(logdir)
    gif_path = os.path.join(out, "tiny.gif")
    with open(gif_path, "wb") as f:
        f.write(GIF)
    runs = [finished_run(logdir, gif_path), crashed_run(logdir)]
    os.remove(gif_path)
    gitignore = os.path.join(logdir, ".gitignore")  # SwanLab writes "*" there
    if os.path.exists(gitignore):
        os.remove(gitignore)
    from importlib.metadata import version as dist_version

    manifest = {
        "swanlab": swanlab.__version__,
        "swanboard": dist_version("swanboard"),
        "project": PROJECT,
        "sdk_line_cut": SDK_LINE_CUT,
        "runs": runs,
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
    print(f"swanlab {swanlab.__version__}: {len(runs)} runs -> {logdir}")


if __name__ == "__main__":
    main()
