"""Jinja2 templates → subject, plain text and HTML of a notification, in the user's language.

Each kind has one template per locale, templates/<locale>/<kind>.txt, with a `subject` and a `text`
block (plain text: no escaping), and optionally a `footer` line and an `unsubscribe` link label (used when
the context has an `unsubscribe_url`: mailings). The HTML body is templates/layout.html around the same text, rendered
with autoescaping on, so nothing a user typed (an event title, a support reply) becomes markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, TemplateNotFound

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LOCALES = ("ru", "en")


@dataclass(frozen=True)
class Rendered:
    """What a notification says."""

    subject: str
    text: str
    html: str
    locale: str


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=lambda name: bool(name and name.endswith(".html")),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters["when"] = _when
    return env


def _when(value: Any, locale: str = "en") -> str:
    """A UTC time as people read it in e-mails (the user's time zone is not known: say UTC)."""
    if value is None:
        return "—"
    from notifications_service.domain.schedule import as_datetime
    at = as_datetime(value)
    return at.strftime("%d.%m.%Y %H:%M UTC") if locale == "ru" else at.strftime("%Y-%m-%d %H:%M UTC")


class Renderer:
    """Renders notification kinds; unknown locales fall back to `default_locale`."""

    def __init__(self, default_locale: str = "en"):
        self.env = _env()
        self.default_locale = default_locale if default_locale in LOCALES else "en"

    def locale_of(self, locale: str | None) -> str:
        return locale if locale in LOCALES else self.default_locale

    def has(self, kind: str) -> bool:
        """Whether every locale has a template for `kind`."""
        try:
            for locale in LOCALES:
                self.env.get_template(f"{locale}/{kind}.txt")
        except TemplateNotFound:
            return False
        return True

    def render(self, kind: str, locale: str | None, context: dict[str, Any]) -> Rendered:
        """Subject, text and HTML of `kind` for a reader of `locale`."""
        locale = self.locale_of(locale)
        template = self.env.get_template(f"{locale}/{kind}.txt")
        ctx = template.new_context({**context, "locale": locale})
        subject = " ".join("".join(template.blocks["subject"](ctx)).split())
        text = "".join(template.blocks["text"](ctx)).strip() + "\n"
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        footer = self._line(template, "footer", ctx)
        label, url = self._line(template, "unsubscribe", ctx), context.get("unsubscribe_url")
        unsubscribe = (label, url) if label and url else None
        if footer or unsubscribe:  # the signature separator "-- " lets mail clients fold the footer away
            text += "\n-- \n" + "".join(f"{line}\n" for line in (footer, unsubscribe and f"{label}: {url}") if line)
        html = self.env.get_template("layout.html").render(subject=subject, paragraphs=paragraphs, lang=locale,
                                                           footer=footer, unsubscribe=unsubscribe)
        return Rendered(subject=subject, text=text, html=html, locale=locale)

    @staticmethod
    def _line(template: Any, block: str, ctx: Any) -> str | None:
        """An optional one-line block (`footer`, `unsubscribe`: the label of the unsubscribe link)."""
        if block not in template.blocks:
            return None
        return " ".join("".join(template.blocks[block](ctx)).split()) or None
