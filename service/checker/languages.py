"""The languages tactful reads and writes: one registry. Adding a language starts here (then
its rules folder, its offline templates and its policy texts)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Language", "LANGUAGES", "LANGS"]


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # BCP 47, as the API and the files spell it
    name: str  # how the prompts name it to a model
    rules: str  # the rules folder (rules/<rules>/) and the key of rule messages: "zh" or "en"
    templates: str  # the offline templates it is written from (zh-Hant: the zh-Hans ones, converted)
    opencc: str | None = None  # the OpenCC config that writes it from simplified Chinese


LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (
    Language("zh-Hans", "Simplified Chinese", rules="zh", templates="zh-Hans"),
    Language("zh-Hant", "Traditional Chinese", rules="zh", templates="zh-Hans", opencc="s2twp"),
    Language("en", "English", rules="en", templates="en"),
)}
LANGS = tuple(LANGUAGES)
