#!/usr/bin/env python3
"""The include graph of src/ against the allowed one in src/layers.txt.

Fails, naming file and line, on an #include "folder/..." that src/layers.txt
does not allow for the including file's folder, on a folder under src/ that
layers.txt does not list, on an include of a header that does not exist, and
when the README's architecture section no longer shows layers.txt as it is.
Usage: include_graph_test.py SOURCE_DIR
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def read_layers(path):
    allowed = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        folder, sep, deps = line.partition(":")
        if not sep:
            sys.exit(f"{path}:{n}: expected 'folder: deps...'")
        allowed[folder.strip()] = set(deps.split())
    return allowed


def main():
    root = pathlib.Path(sys.argv[1])
    src = root / "src"
    layers = src / "layers.txt"
    allowed = read_layers(layers)
    problems = []
    folders = sorted(p.name for p in src.iterdir() if p.is_dir())
    for folder in folders:
        if folder not in allowed:
            problems.append(f"src/{folder}/: not listed in src/layers.txt")
    for folder, deps in allowed.items():
        for dep in deps - set(allowed):
            problems.append(f"src/layers.txt: {folder} may include unknown folder {dep}")
    edges = 0
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".h", ".cpp"):
            continue
        folder = path.relative_to(src).parts[0]
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = m.group(1)
            if "/" not in target:  # a file of the same folder
                if not (path.parent / target).exists():
                    problems.append(f"{path.relative_to(root)}:{n}: {target} does not exist")
                continue
            dep = target.split("/", 1)[0]
            if not (src / target).exists():
                problems.append(f"{path.relative_to(root)}:{n}: src/{target} does not exist")
            elif dep != folder:
                edges += 1
                if dep not in allowed.get(folder, set()):
                    problems.append(f"{path.relative_to(root)}:{n}: {folder}/ may not include "
                                    f"{target} (src/layers.txt allows {folder}: "
                                    f"{' '.join(sorted(allowed.get(folder, []))) or 'nothing'})")
    readme = (root / "README.md").read_text()
    shown = "\n".join(l for l in layers.read_text().splitlines() if not l.startswith("#"))
    if shown not in readme:
        problems.append("README.md: the architecture section does not show src/layers.txt as it "
                        "is (copy its non-comment lines into the block there)")
    for p in problems:
        print(p)
    print(f"{edges} includes across folders checked against src/layers.txt; "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
