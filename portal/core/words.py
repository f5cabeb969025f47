"""A number with its noun: '1 event', '2 events', '0 events', never 'event(s)'."""


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``count`` and the noun that agrees with it; ``plural`` defaults to ``singular`` + 's'."""
    noun = singular if count == 1 else (plural or f"{singular}s")
    return f"{count} {noun}"
