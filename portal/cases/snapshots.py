"""A case's artifacts as one model snapshot: files under relative paths, as a tree.

A model arrives as many files (``weights/`` shards, config, tokenizer, cards);
each artifact keeps where it sits in the snapshot (``Artifact.relative_path``).
Downloads write the files under these paths (the aria2c input file), and the
signed manifest names them, so a bank verifies the directory it downloaded.
"""

import posixpath
from dataclasses import dataclass, field

from portal.cases.models import Artifact
from portal.files.manifests import SIGNATURE_NAME, ManifestEntry

MAX_PATH_LENGTH = 1024


class BadRelativePath(ValueError):
    """A relative path that cannot name a file in a snapshot; the message says why."""

    @property
    def message(self) -> str:
        return str(self)


def clean_relative_path(raw: str) -> str:
    """The path normalized (``a//b/./c`` → ``a/b/c``), or ``BadRelativePath`` saying why."""
    path = (raw or "").strip()
    if not path:
        raise BadRelativePath("Give the file's path in the model snapshot.")
    if len(path) > MAX_PATH_LENGTH:
        raise BadRelativePath(
            f"The path in the snapshot is {len(path):,} characters long; "
            f"at most {MAX_PATH_LENGTH:,} are allowed."
        )
    if "\\" in path:
        raise BadRelativePath("Separate folders in the path with / (not \\).")
    if any(ord(character) < 32 or ord(character) == 127 for character in path):
        raise BadRelativePath("The path in the snapshot contains a control character.")
    if path.startswith("/"):
        raise BadRelativePath(
            "The path in the snapshot must be relative (weights/shard-0001.safetensors), "
            "not absolute."
        )
    if ".." in path.split("/"):
        raise BadRelativePath("The path in the snapshot may not contain “..”.")
    normalized = posixpath.normpath(path)
    if normalized in ("", ".") or path.endswith("/"):
        raise BadRelativePath("The path in the snapshot must end with a file name.")
    if normalized == SIGNATURE_NAME:
        raise BadRelativePath(
            f"{SIGNATURE_NAME} is where the portal's signed manifest goes; choose another path."
        )
    return normalized


def current_artifacts(artifacts) -> list[Artifact]:
    """The snapshot: one artifact per relative path, the newest, in path order.

    Current artifacts have unique paths (the upload service sees to it); an
    older version under the same path, superseded or from before paths were
    checked, stays downloadable on its own but is not part of the snapshot.
    """
    by_path: dict[str, Artifact] = {}
    for artifact in sorted(artifacts, key=lambda a: a.pk):
        by_path[artifact.relative_path] = artifact
    return [by_path[path] for path in sorted(by_path)]


@dataclass
class Folder:
    """A folder of the snapshot: its name, its sub-folders and its files, each sorted."""

    name: str
    path: str
    folders: list["Folder"] = field(default_factory=list)
    files: list = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # each file's last path segment

    @property
    def entries(self) -> list[tuple[str, object]]:
        return list(zip(self.names, self.files, strict=True))

    @property
    def file_count(self) -> int:
        return len(self.files) + sum(folder.file_count for folder in self.folders)

    @property
    def size(self) -> int:
        return sum(_size(item) for item in self.files) + sum(f.size for f in self.folders)

    def as_json(self, describe) -> dict:
        return {
            "type": "directory",
            "name": self.name,
            "path": self.path,
            "children": [folder.as_json(describe) for folder in self.folders]
            + [describe(item) for item in self.files],
        }


def _size(item) -> int:
    artifact = getattr(item, "artifact", item)
    return artifact.size


def snapshot_tree(items, *, path_of=lambda item: item.relative_path) -> Folder:
    """Folders → files from items with paths, built in memory (no query)."""
    root = Folder(name="", path="")
    folders = {"": root}
    for item in sorted(items, key=path_of):
        parent = root
        parts = path_of(item).split("/")
        for depth in range(1, len(parts)):
            folder_path = "/".join(parts[:depth])
            if folder_path not in folders:
                folder = Folder(name=parts[depth - 1], path=folder_path)
                parent.folders.append(folder)
                folders[folder_path] = folder
            parent = folders[folder_path]
        parent.files.append(item)
        parent.names.append(parts[-1])
    return root


def manifest_entries(artifacts) -> list[ManifestEntry]:
    """What the signed manifest lists for these artifacts: path, size, SHA-256."""
    return [ManifestEntry(a.relative_path, a.size, a.sha256) for a in current_artifacts(artifacts)]
