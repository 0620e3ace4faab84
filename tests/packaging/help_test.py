#!/usr/bin/env python3
"""--help, man pages and shell completion of the built binary.

Each command's --help ends with its own examples (an example invoking that
command, none invoking another); the man pages the build's docs target wrote
render with groff without a warning; the bash completion, generated from the
parser's table, completes commands, subcommands, flags and flag values.

usage: help_test.py ECRHELM_BINARY MAN_DIR
"""
import os
import re
import subprocess
import sys
import unittest

BINARY = None
MAN_DIR = None
# Every command path; one missing from here but present in `--help` fails too.
COMMANDS = ["whoami", "token", "login", "credential-helper", "pull", "tags", "show",
            "controller", "repos", "policy", "policy read", "policy trust", "doctor",
            "version", "completion"]


def run(*args, stdin=None):
    return subprocess.run([BINARY, *args], input=stdin, capture_output=True, text=True,
                          timeout=30)


def help_of(path):
    r = run(*path.split(), "--help")
    assert r.returncode == 0, f"ecrhelm {path} --help: exit {r.returncode}: {r.stderr}"
    return r.stdout


def example_lines(text):
    """The lines after 'Examples:' in a help text, up to the next blank line."""
    m = re.search(r"^Examples:\n((?:  .*\n)+)", text, re.M)
    return [l.strip() for l in m.group(1).splitlines() if not l.strip().startswith("#")] if m else []


def invoked_commands(line):
    """The command paths an example line runs: `ecrhelm X [Y]` after any global flags."""
    found = []
    for m in re.finditer(r"(?:^|[|;(]\s*|\$\()ecrhelm((?:\s+--?[a-z-]+(?:\s+[a-z]+)?)*)\s+([a-z-]+)(?:\s+([a-z-]+))?", line):
        first, second = m.group(2), m.group(3)
        if second and f"{first} {second}" in COMMANDS:
            found.append(f"{first} {second}")
        elif first in COMMANDS:
            found.append(first)
    if re.search(r"(^|[|;]\s*)docker-credential-ecrhelm\s", line):
        found.append("credential-helper")
    return found


class HelpTest(unittest.TestCase):
    def test_the_command_list_is_the_one_in_root_help(self):
        root = help_of("")
        listed = re.findall(r"^  ([a-z][a-z-]+)\s{2,}\S", root.split("Subcommands:")[1].split("Examples:")[0], re.M)
        listed = [c for c in listed if not c.startswith("ecrhelm")]
        self.assertEqual(sorted(set(listed)), sorted(c for c in COMMANDS if " " not in c))
        self.assertNotIn("man", listed, "the docs generator stays hidden")

    def test_each_command_ends_with_its_own_examples(self):
        for path in COMMANDS:
            with self.subTest(command=path):
                text = help_of(path)
                examples = example_lines(text)
                self.assertTrue(examples, f"`ecrhelm {path} --help` has no Examples: section")
                self.assertTrue(text.rstrip().endswith(examples[-1]),
                                f"`ecrhelm {path} --help` does not end with its examples")
                runs = [c for l in examples for c in invoked_commands(l)]
                own = [c for c in runs if c == path or c.startswith(path + " ")]
                self.assertTrue(own, f"no example runs `ecrhelm {path}`: {examples}")
                # policy's own page may show its subcommands; no other command's.
                others = [c for c in runs if c != path and not c.startswith(path + " ")]
                self.assertEqual(others, [], f"`ecrhelm {path} --help` shows other commands")

    def test_root_help_keeps_the_exit_codes(self):
        self.assertIn("Exit codes: 0 ok", help_of(""))
        self.assertNotIn("Exit codes", help_of("token"))

    def test_the_example_checker_can_fail(self):
        self.assertEqual(invoked_commands("ecrhelm token --region x"), ["token"])
        self.assertEqual(invoked_commands("ecrhelm --profile ci whoami"), ["whoami"])
        self.assertEqual(invoked_commands("ecrhelm policy read --account 1"), ["policy read"])
        self.assertEqual(invoked_commands("echo h | docker-credential-ecrhelm get"),
                         ["credential-helper"])
        self.assertEqual(invoked_commands("source <(ecrhelm completion bash)"), ["completion"])


class ManTest(unittest.TestCase):
    def pages(self):
        return sorted(f for f in os.listdir(MAN_DIR) if f.endswith(".1"))

    def test_one_page_per_command_and_the_root_page(self):
        expected = ["ecrhelm.1"] + [f"ecrhelm-{c}.1" for c in COMMANDS if " " not in c]
        self.assertEqual(self.pages(), sorted(expected))

    def test_every_page_renders_without_warnings(self):
        for page in self.pages():
            with self.subTest(page=page):
                r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z",
                                    os.path.join(MAN_DIR, page)],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stderr, "", f"groff warned on {page}")
                r = subprocess.run(["man", "--warnings", "-l", os.path.join(MAN_DIR, page)],
                                   capture_output=True, text=True, timeout=30,
                                   env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "100"})
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stderr, "", f"man warned on {page}")

    def test_pages_hold_the_parsers_flags_and_the_examples(self):
        text = subprocess.run(["groff", "-man", "-Tutf8", os.path.join(MAN_DIR, "ecrhelm-pull.1")],
                              capture_output=True, text=True).stdout
        text = re.sub(r".\x08", "", text)  # overstrike bold/underline
        for needle in ["--untardir", "--password-stdin", "EXAMPLES",
                       "ecrhelm pull oci://123456789012.dkr.ecr.us-west-2.amazonaws.com/charts/demo"]:
            self.assertIn(needle, text.replace("\u2010", "-").replace("\u2212", "-"))
        with open(os.path.join(MAN_DIR, "ecrhelm.1")) as f:
            root = f.read()
        self.assertIn("EXIT STATUS", root)
        self.assertIn("ecrhelm\\-controller", root)


def complete(words, script=None):
    """COMPREPLY for COMP_WORDS=words (the last one being completed)."""
    script = script or run("completion", "bash").stdout
    arr = " ".join("'" + w + "'" for w in words)
    prog = f'{script}\nCOMP_WORDS=({arr}); COMP_CWORD={len(words) - 1}; _ecrhelm; echo "${{COMPREPLY[@]}}"'
    r = subprocess.run(["bash", "--norc", "-c", prog], capture_output=True, text=True, timeout=30,
                       cwd="/")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return r.stdout.split()


class CompletionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.script = run("completion", "bash").stdout

    def test_commands(self):
        self.assertEqual(complete(["ecrhelm", "pu"], self.script), ["pull"])
        self.assertEqual(sorted(complete(["ecrhelm", "co"], self.script)), ["completion", "controller"])
        self.assertNotIn("man", complete(["ecrhelm", ""], self.script))
        self.assertEqual(sorted(complete(["ecrhelm", ""], self.script)), sorted(c for c in COMMANDS if " " not in c))

    def test_subcommands_after_global_flags(self):
        self.assertEqual(complete(["ecrhelm", "--profile", "ci", "policy", ""], self.script),
                         ["read", "trust"])
        self.assertEqual(complete(["ecrhelm", "credential-helper", ""], self.script),
                         ["get", "list", "store", "erase", "configure"])

    def test_flags_and_their_values(self):
        self.assertEqual(complete(["ecrhelm", "pull", "--unt"], self.script),
                         ["--untar", "--untardir"])
        self.assertEqual(complete(["ecrhelm", "policy", "trust", "--oi"], self.script),
                         ["--oidc-id"])
        self.assertEqual(complete(["ecrhelm", "token", "-o", ""], self.script), ["text", "json"])
        self.assertEqual(complete(["ecrhelm", "repos", "-o", "w"], self.script), ["wide"])
        self.assertEqual(complete(["ecrhelm", "--log-format", "j"], self.script), ["json"])
        self.assertEqual(complete(["ecrhelm", "completion", ""], self.script), ["bash", "zsh"])

    def test_every_parser_flag_is_completed(self):
        # The table is the parser's: flags in --help are exactly the completed ones.
        for path in ["controller", "doctor", "pull", "policy trust"]:
            with self.subTest(command=path):
                in_help = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", help_of(path).split("Examples:")[0]))
                completed = set(complete(["ecrhelm", *path.split(), "--"], self.script))
                self.assertEqual(in_help, completed)

    def test_zsh_script_is_the_same_table(self):
        zsh = run("completion", "zsh").stdout
        self.assertTrue(zsh.startswith("#compdef ecrhelm\n"))
        self.assertIn(self.script.split("\n", 1)[1], zsh)

    def test_bad_shell_is_one_line_naming_it(self):
        r = run("completion", "fish")
        self.assertEqual(r.returncode, 2)
        self.assertIn("fish", r.stderr)


if __name__ == "__main__":
    BINARY, MAN_DIR = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], "-v"])
