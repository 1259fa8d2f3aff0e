#!/usr/bin/env python3
"""Draws the kernel's memory as two SVGs from the dump it prints (make picture).

The kernel prints the dump with `mmdemo picture` on its command line
(kernel/mm_picture.h has the format). From the serial log this writes

  virtual.svg   the kernel's virtual address space: every region to scale
                on a log axis, then each vmalloc/vmap/sparse/ioremap area
                page by page (mapped, not mapped, guard)
  physical.svg  physical memory frame by frame: state, and free buddy
                blocks by order

Run:  mm-picture.py LOG OUT_DIR
      mm-picture.py --self-test [--result JSON] [--out DIR] [LOG...]
The self-test draws the canned dump tests/picture/dump.log (and each LOG
given) and checks that both SVGs parse as XML, name every area and show
every frame state. Only the Python standard library is used.
"""
import argparse
import json
import math
import os
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

WIDTH = 1000
FONT = 'font-family="monospace"'
KIND_COLOURS = {"vmalloc": "#4e79a7", "vmap": "#59a14f", "sparse": "#f28e2b",
                "ioremap": "#b07aa1", "vm_area": "#9c755f", "vm_map_ram": "#76b7b2",
                "unpurged": "#bab0ac"}
REGION_COLOURS = {"Direct map": "#59a14f", "vmalloc": "#4e79a7", "Kernel image": "#e15759"}
STATE_COLOURS = {"reserved": "#7f7f7f", "allocated": "#4e79a7", "pagetable": "#f28e2b",
                 "slab": "#b07aa1", "vmalloc": "#e15759", "tail": "#000000"}
GUARD = "#e15759"
PAGE = 4096


def parse(text):
    """The dump's lines as dicts, from the last `picture: begin` on."""
    dump = {"region": [], "area": [], "mapped": [], "frames": []}
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if "picture: " not in line:
            continue
        words = line[line.index("picture: ") + 9:].split()
        if not words:
            continue
        kind, rest = words[0], words[1:]
        if kind == "begin":
            dump = {"region": [], "area": [], "mapped": [], "frames": []}
        elif kind == "region":
            dump["region"].append((int(rest[0], 16), int(rest[1], 16), " ".join(rest[2:])))
        elif kind == "area":
            dump["area"].append({"start": int(rest[0], 16), "end": int(rest[1], 16),
                                 "kind": rest[2], "guard": rest[3] == "1",
                                 "pages": int(rest[4]), "caller": " ".join(rest[5:])})
        elif kind == "mapped":
            dump["mapped"].append((int(rest[0], 16), int(rest[1], 16)))
        elif kind == "frames":
            dump["frames"].append((int(rest[0], 16), int(rest[1]), rest[2], int(rest[3])))
    return dump


def human(size):
    for unit, shift in (("EiB", 60), ("PiB", 50), ("TiB", 40), ("GiB", 30), ("MiB", 20),
                        ("KiB", 10)):
        if size >= 1 << shift:
            value = size / (1 << shift)
            return ("%d %s" if value == int(value) else "%.1f %s") % (value, unit)
    return "%d B" % size


class Svg:
    def __init__(self, title):
        self.parts, self.y = [], 30
        self.text(10, 20, title, 'font-size="16" font-weight="bold"')

    def rect(self, x, y, w, h, fill, extra=""):
        self.parts.append('<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s" %s/>'
                          % (x, y, max(w, 0.5), h, fill, extra))

    def text(self, x, y, s, extra=""):
        if "font-size" not in extra:
            extra += ' font-size="12"'
        self.parts.append('<text x="%.1f" y="%.1f" %s %s>%s</text>' % (x, y, FONT, extra,
                                                                      escape(s)))

    def legend(self, items):
        """items: (colour, label, extra rect attributes)."""
        x = 10
        for colour, label, extra in items:
            self.rect(x, self.y, 14, 14, colour, extra)
            self.text(x + 18, self.y + 11, label)
            x += 30 + 7.5 * len(label)
            if x > WIDTH - 150:
                x, self.y = 10, self.y + 20
        self.y += 30

    def write(self, path):
        head = ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
                'viewBox="0 0 %d %d">\n<defs><pattern id="hatch" width="6" height="6" '
                'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
                '<rect width="6" height="6" fill="white"/><line x1="0" y1="0" x2="0" y2="6" '
                'stroke="%s" stroke-width="3"/></pattern></defs>\n'
                '<rect width="100%%" height="100%%" fill="white"/>\n'
                % (WIDTH, self.y + 10, WIDTH, self.y + 10, GUARD))
        with open(path, "w") as f:
            f.write(head + "\n".join(self.parts) + "\n</svg>\n")


# --- the virtual address space ----------------------------------------------------

def layout_rows(regions):
    """The regions and the gaps between them, in address order, covering 2^64."""
    rows, at = [], 0
    for start, end, name in sorted(regions):
        if start > at:
            rows.append((at, start, "non-canonical hole" if at == 1 << 47 else "unused"))
        rows.append((start, end, name))
        at = end
    if at < 1 << 64:
        rows.append((at, 1 << 64, "unused"))
    return rows


def draw_regions(svg, regions):
    svg.text(10, svg.y + 12, "Kernel virtual address space, every region to scale on a "
             "log axis (bar length = log2 of its size)")
    svg.y += 24
    x0, span = 400, WIDTH - 420
    for bits in range(12, 65, 8):
        x = x0 + span * (bits - 12) / 52
        svg.parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>'
                         % (x, svg.y, x, svg.y + 22 * len(layout_rows(regions)) + 4))
        svg.text(x - 12, svg.y + 10, human(1 << bits).replace(" ", ""), 'font-size="10"')
    svg.y += 16
    for start, end, name in layout_rows(regions):
        size = end - start
        colour = REGION_COLOURS.get(name, "#dddddd")
        svg.text(10, svg.y + 12, "0x%016x" % start)
        svg.text(160, svg.y + 12, name)
        svg.text(320, svg.y + 12, human(size))
        svg.rect(x0, svg.y + 2, span * (math.log2(size) - 12) / 52, 14, colour)
        svg.y += 22
    svg.y += 10


def clusters(areas, max_gap_pages=64):
    """Areas grouped where the gap between neighbours is small."""
    groups = []
    for a in sorted(areas, key=lambda a: a["start"]):
        if groups and a["start"] - groups[-1][-1]["end"] <= max_gap_pages * PAGE:
            groups[-1].append(a)
        else:
            groups.append([a])
    return groups


def is_mapped(page, mapped):
    return any(s <= page < e for s, e in mapped)


def draw_area_cells(svg, area, x, cell, mapped):
    """One cell per page of the area; returns the x after it."""
    pages = (area["end"] - area["start"]) // PAGE
    colour = KIND_COLOURS.get(area["kind"], "#888")
    for i in range(pages):
        va = area["start"] + i * PAGE
        if area["guard"] and i == pages - 1:
            svg.rect(x, svg.y, cell, 26, "url(#hatch)", 'stroke="%s"' % GUARD)
        elif area["kind"] == "unpurged":     # unmapped, stale TLB entries possible
            svg.rect(x, svg.y, cell, 26, colour, 'stroke="white"')
        elif is_mapped(va, mapped):
            svg.rect(x, svg.y, cell, 26, colour, 'stroke="white"')
        else:
            svg.rect(x, svg.y, cell, 26, "white", 'stroke="%s"' % colour)
        x += cell
    return x


def draw_cluster(svg, group, mapped):
    first, last = group[0]["start"], group[-1]["end"]
    pages = (last - first) // PAGE
    cell = max(1.0, min(28.0, (WIDTH - 40) / pages))
    svg.text(10, svg.y + 12, "0x%016x - 0x%016x (%s)" % (first, last, human(last - first)))
    svg.y += 18
    for a in group:
        x = 20 + (a["start"] - first) // PAGE * cell
        draw_area_cells(svg, a, x, cell, mapped)
    svg.y += 32
    for a in group:      # one label line per area under its cells
        x = 20 + (a["start"] - first) // PAGE * cell
        svg.parts.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999"/>'
                         % (x + 1, svg.y - 6, x + 1, svg.y + 8))
        pages = (a["end"] - a["start"]) // PAGE - a["guard"]
        svg.text(x + 4, svg.y + 8, "%s %s, %d page%s%s%s" % (
            a["kind"], human(a["end"] - a["start"]), pages, "s" if pages != 1 else "",
            " + guard" if a["guard"] else "", "" if a["caller"] == "-" else
            ", from " + a["caller"]))
        svg.y += 16
    svg.y += 14


def draw_virtual(dump, path):
    svg = Svg("mmkernel: virtual memory")
    draw_regions(svg, dump["region"])
    svg.text(10, svg.y + 12, "The vmalloc space, page by page (one box per 4 KiB page; "
             "far-apart groups of areas shown separately)")
    svg.y += 24
    svg.legend([(KIND_COLOURS["vmalloc"], "mapped (colour = kind)", ""),
                ("white", "not mapped", 'stroke="#333"'),
                ("url(#hatch)", "guard page", 'stroke="%s"' % GUARD)] +
               [(c, k, "") for k, c in KIND_COLOURS.items()
                if any(a["kind"] == k for a in dump["area"])])
    groups = clusters(dump["area"])
    for i, group in enumerate(groups):
        if i:
            gap = group[0]["start"] - groups[i - 1][-1]["end"]
            svg.text(20, svg.y, "... %s not used ..." % human(gap), 'fill="#777"')
            svg.y += 16
        draw_cluster(svg, group, dump["mapped"])
    svg.write(path)


# --- physical memory -------------------------------------------------------------------

def free_colour(order):
    light = 85 - 5 * order      # bigger free blocks are darker green
    return "hsl(120, 45%%, %d%%)" % light


def draw_rows(svg, frames, first, last, per_row, title):
    """Frames [first, last) in rows of per_row frames, each row labelled."""
    scale = (WIDTH - 140) / per_row
    svg.text(10, svg.y + 12, title)
    svg.y += 20
    rows = (last - first + per_row - 1) // per_row
    for row in range(rows):
        svg.text(10, svg.y + row * 20 + 13, "0x%09x" % ((first + row * per_row) * PAGE),
                 'font-size="10"')
    for pfn, count, state, order in frames:
        block = 1 << order if state == "free" else 1 if per_row <= 1024 else count
        for p in range(max(pfn, first), min(pfn + count, last), block):
            draw_frames(svg, first, p, min(block, last - p), per_row, scale, state, order)
    svg.y += 20 * rows + 16


def busy_windows(frames, size=1024, most=2):
    """The first `most` windows of `size` frames holding allocated frames."""
    out = []
    for pfn, count, state, _ in frames:
        if state in ("free", "reserved"):
            continue
        w = pfn // size * size
        if w not in out:
            out.append(w)
    return out[:most]


def draw_physical(dump, path):
    frames = dump["frames"]
    total = max((p + n for p, n, _, _ in frames), default=1)
    per_row = 2048
    while total / per_row > 48:
        per_row *= 2
    svg = Svg("mmkernel: physical memory, %s, frame by frame" % human(total * PAGE))
    states = sorted({s for _, _, s, _ in frames if s != "free"})
    orders = sorted({o for _, _, s, o in frames if s == "free"})
    svg.legend([(STATE_COLOURS.get(s, "#333"), s, "") for s in states] +
               [(free_colour(o), "free order %d" % o, "") for o in orders])
    draw_rows(svg, frames, 0, total, per_row, "All of it, one row = %s; free buddy blocks "
              "outlined" % human(per_row * PAGE))
    for w in busy_windows(frames):
        end = min(w + 1024, total)
        draw_rows(svg, frames, w, end, 256, "Zoom on 0x%x-0x%x: one box per frame, one row "
                  "= 1 MiB" % (w * PAGE, end * PAGE))
    svg.write(path)


def draw_frames(svg, first, pfn, count, per_row, scale, state, order):
    """Frames [pfn, pfn + count) as rectangles, cut at row ends (rows from `first`)."""
    while count:
        row, col = divmod(pfn - first, per_row)
        n = min(count, per_row - col)
        fill = free_colour(order) if state == "free" else STATE_COLOURS.get(state, "#333")
        extra = 'stroke="#2d6a2d" stroke-width="0.3"' if state == "free" else ""
        if per_row <= 1024 and state != "free":
            extra = 'stroke="white" stroke-width="0.5"'
        svg.rect(110 + col * scale, svg.y + row * 20, n * scale, 16, fill, extra)
        pfn, count = pfn + n, count - n


# --- the self-test ------------------------------------------------------------------------

def check(dump, out_dir):
    """Problems found in the SVGs drawn from `dump`."""
    problems = []
    if not dump["area"] or not dump["frames"]:
        return ["the log holds no picture dump (areas and frames)"]
    draw_virtual(dump, os.path.join(out_dir, "virtual.svg"))
    draw_physical(dump, os.path.join(out_dir, "physical.svg"))
    texts = {}
    for name in ("virtual.svg", "physical.svg"):
        try:
            root = ET.parse(os.path.join(out_dir, name)).getroot()
        except ET.ParseError as e:
            problems.append("%s is not XML: %s" % (name, e))
            continue
        texts[name] = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for a in dump["area"]:
        want = a["kind"] + ("" if a["caller"] == "-" else " ... " + a["caller"])
        if a["kind"] not in texts.get("virtual.svg", "") or a["caller"] != "-" and \
                a["caller"] not in texts.get("virtual.svg", ""):
            problems.append("virtual.svg does not name the area %s" % want)
    for state in {s for _, _, s, _ in dump["frames"]}:
        if state not in texts.get("physical.svg", ""):
            problems.append("physical.svg has no legend entry for %s frames" % state)
    return problems


def self_test(logs, result, out):
    here = os.path.dirname(os.path.abspath(__file__))
    canned = os.path.join(here, "..", "tests", "picture", "dump.log")
    passed, problems = 0, []
    for i, log in enumerate([canned] + logs):
        out_dir = os.path.join(out, "canned" if i == 0 else "log%d" % i)
        os.makedirs(out_dir, exist_ok=True)
        with open(log, errors="replace") as f:
            found = check(parse(f.read()), out_dir)
        problems += ["%s: %s" % (os.path.basename(log), p) for p in found]
        passed += not found
    for p in problems:
        print("mm-picture: " + p)
    print("mm-picture: %d dumps drawn and checked, %d problems" % (passed, len(problems)))
    if result:
        with open(result, "w") as f:
            json.dump({"name": "picture", "passed": passed, "failed": len(problems),
                       "skipped": 0, "ok": not problems, "problems": problems}, f)
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--result")
    ap.add_argument("--out", default="build/picture-check", help="self-test: where to draw")
    ap.add_argument("paths", nargs="*")
    args = ap.parse_args()
    if args.self_test:
        return self_test(args.paths, args.result, args.out)
    if len(args.paths) != 2:
        ap.error("give LOG and OUT_DIR")
    with open(args.paths[0], errors="replace") as f:
        dump = parse(f.read())
    if not dump["area"] or not dump["frames"]:
        print("mm-picture: %s holds no picture dump (boot with `mmdemo picture`)"
              % args.paths[0])
        return 1
    os.makedirs(args.paths[1], exist_ok=True)
    draw_virtual(dump, os.path.join(args.paths[1], "virtual.svg"))
    draw_physical(dump, os.path.join(args.paths[1], "physical.svg"))
    print("mm-picture: wrote %s/virtual.svg and physical.svg" % args.paths[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
