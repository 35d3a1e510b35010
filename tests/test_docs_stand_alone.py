"""The project stands alone: every link in README.md and docs/ resolves to a file of this repository,
and nothing points at a file outside it (the rules and the contract are written in docs/)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
# Addresses a reader types on their own machine are fine; anything else on the web is outside.
LOCAL_URL = re.compile(r"https?://(127\.0\.0\.1|localhost|host|\$|<)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves_inside_the_repository(doc: Path):
    text = doc.read_text(encoding="utf-8")
    broken = []
    for target in LINK.findall(text):
        if target.startswith("#") or target.startswith("mailto:"):
            continue
        if target.startswith(("http://", "https://")):
            if not LOCAL_URL.match(target):
                broken.append(f"outside link {target}")
            continue
        path = (doc.parent / target.split("#", 1)[0]).resolve()
        if not path.exists():
            broken.append(f"missing {target}")
        elif ROOT not in path.parents and path != ROOT:
            broken.append(f"outside the repository {target}")
    assert broken == [], f"{doc.name}: {broken}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_reference_to_files_outside_the_repository(doc: Path):
    text = doc.read_text(encoding="utf-8")
    assert "../shared" not in text and "shared/DOMAIN" not in text and "ARCHITECTURE.md" not in text, (
        f"{doc.name} refers to a file outside the repository")


def test_the_rules_are_written_in_the_project():
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    # Each rule the code applies is cited by its article; the rules page names them all.
    for article in ["A10", "A12", "A16", "A17", "A18", "A20", "A21", "A23", "A24", "A25", "A26", "A28",
                    "A29", "A34", "A37", "B1", "B2", "B4", "B10", "B11", "B13", "B16", "B19", "B22", "B27",
                    "B30", "B31", "C16"]:
        assert re.search(rf"\b{article}\b", rules), f"docs/rules.md does not state {article}"
