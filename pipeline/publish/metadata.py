"""Release metadata: title, authors, licences, keywords, repository, read from release.toml.

It is the one place CITATION.cff, datapackage.json and the release README take them from. What release.toml
leaves out is left out of those files too: a citation with a made-up repository or author is worse than one
without, so values that look like placeholders are refused.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline import SCHEMA_DIR

ROOT = SCHEMA_DIR.parent
METADATA_PATH = ROOT / "release.toml"
LICENCES = {
    "CC-BY-4.0": {"title": "Creative Commons Attribution 4.0 International",
                  "path": "https://creativecommons.org/licenses/by/4.0/", "file": "LICENSE-DATA"},
    "MIT": {"title": "MIT License", "path": "https://opensource.org/license/mit", "file": "LICENSE"},
}
PLACEHOLDERS = ("example.org", "example.com", "replace", "todo", "xxx", "tbd", "your name", "lorem")
AUTHOR_KEYS = ("name", "given-names", "family-names", "name-particle", "name-suffix", "affiliation", "orcid",
               "email", "website", "alias")


class MetadataError(ValueError):
    """release.toml is missing, unreadable, incomplete or holds a placeholder; the message says which key."""


@dataclass(frozen=True)
class ReleaseMetadata:
    """What a release says about itself; optional values are "" when unknown."""

    title: str
    title_zh: str
    name: str  # the datapackage's name
    description: str
    license_data: str
    license_code: str
    keywords: tuple[str, ...]
    authors: tuple[dict[str, str], ...]
    repository: str = ""
    doi: str = ""

    @property
    def full_title(self) -> str:
        """The title in English with the Chinese one in brackets."""
        return f"{self.title} ({self.title_zh})" if self.title_zh else self.title


def _looks_like_placeholder(value: str) -> bool:
    lowered = value.lower()
    return any(mark in lowered for mark in PLACEHOLDERS)


def _author(entry: object, n: int) -> dict[str, str]:
    """One author: an entity (name) or a person (given-names, family-names), CFF keys only."""
    if not isinstance(entry, dict) or not (entry.get("name") or entry.get("family-names")):
        raise MetadataError(f"release.toml: author {n} needs a name (an entity) or family-names (a person)")
    unknown = sorted(set(entry) - set(AUTHOR_KEYS))
    if unknown:
        raise MetadataError(f"release.toml: author {n} has unknown keys {unknown}; known: {', '.join(AUTHOR_KEYS)}")
    return {k: str(entry[k]) for k in AUTHOR_KEYS if entry.get(k)}


def load_metadata(path: Path | None = None) -> ReleaseMetadata:
    """The release metadata; raises MetadataError naming what is missing or wrong."""
    path = path or METADATA_PATH
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise MetadataError(f"cannot read the release metadata {path}: {err}") from err
    required = ("title", "name", "description", "license_data", "license_code", "authors")
    missing = [k for k in required if not data.get(k)]
    if missing:
        raise MetadataError(f"{path}: missing {', '.join(missing)}")
    for key in ("license_data", "license_code"):
        if data[key] not in LICENCES:
            raise MetadataError(f"{path}: {key} {data[key]!r} is not one of {', '.join(LICENCES)}")
    meta = ReleaseMetadata(
        title=data["title"], title_zh=data.get("title_zh", ""), name=data["name"], description=data["description"],
        license_data=data["license_data"], license_code=data["license_code"],
        keywords=tuple(data.get("keywords", [])),
        authors=tuple(_author(a, n) for n, a in enumerate(data["authors"], start=1)),
        repository=data.get("repository", ""), doi=data.get("doi", ""))
    values = [meta.title, meta.title_zh, meta.repository, meta.doi, *meta.keywords,
              *(v for a in meta.authors for v in a.values())]
    if bad := [v for v in values if _looks_like_placeholder(v)]:
        raise MetadataError(f"{path}: placeholder values {bad}; leave out what is not known")
    return meta


def _yaml(value: str) -> str:
    """A YAML scalar: JSON strings are valid YAML and need no escaping rules of their own."""
    return json.dumps(value, ensure_ascii=False)


def citation_cff(meta: ReleaseMetadata, version: str, released: date) -> str:
    """CITATION.cff (Citation File Format 1.2.0) of one release of the data."""
    lines = ["cff-version: 1.2.0", 'message: "If you use this dataset, please cite it as below."', "type: dataset",
             f"title: {_yaml(meta.full_title)}", f"abstract: {_yaml(meta.description)}",
             f"version: {_yaml(version)}", f"date-released: {released:%Y-%m-%d}", f"license: {meta.license_data}",
             "authors:"]
    for author in meta.authors:
        lines += [f"  {'-' if i == 0 else ' '} {key}: {_yaml(value)}" for i, (key, value) in enumerate(author.items())]
    if meta.repository:
        lines.append(f"repository-code: {_yaml(meta.repository)}")
    if meta.doi:
        lines.append(f"doi: {_yaml(meta.doi)}")
    if meta.keywords:
        lines += ["keywords:", *[f"  - {_yaml(k)}" for k in meta.keywords]]
    return "\n".join(lines) + "\n"


def author_names(meta: ReleaseMetadata) -> list[str]:
    """Each author as a person or entity would be named in a reference."""
    return [a.get("name") or " ".join(filter(None, (a.get("given-names"), a.get("name-particle"),
                                                     a.get("family-names"), a.get("name-suffix"))))
            for a in meta.authors]


def package_metadata(meta: ReleaseMetadata) -> dict:
    """The datapackage.json properties that describe the data package as a whole."""
    licence = LICENCES[meta.license_data]
    package = {"name": meta.name, "title": meta.full_title, "description": meta.description,
               "licenses": [{"name": meta.license_data, "title": licence["title"], "path": licence["path"]}],
               "keywords": list(meta.keywords),
               "contributors": [{"title": n, "role": "author"} for n in author_names(meta)]}
    if meta.repository:
        package["homepage"] = meta.repository
    if meta.doi:
        package["id"] = f"https://doi.org/{meta.doi}"
    return package


def licence_files(meta: ReleaseMetadata) -> list[Path]:
    """The licence texts a release carries: the data's, then the code's."""
    return [ROOT / LICENCES[meta.license_data]["file"], ROOT / LICENCES[meta.license_code]["file"]]
