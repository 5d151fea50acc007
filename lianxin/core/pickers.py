"""The searchable picker shared by every form that chooses cadres or regions.

A text input and a results list fed by an endpoint of the kind's app (at most PICKER_LIMIT
rows, scoped to the user); choosing a row fills a hidden input with its id, or adds a chip
with its own hidden input where the field takes several. static/js/pickers.js does the
typing, the arrow keys, Enter and Escape. Text typed and not chosen from the results (always,
without a script) is sent as `<name>_text`: the field resolves it by exact name or number
(`resolve_text`; several, separated by 、 or commas, where it takes several) or answers a field
error naming what matched nothing or many — the text is never dropped in silence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.http import HttpRequest, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from lianxin.core.fields import row_id

PICKER_LIMIT = 20
QUERY_MAX = 30
# Where a field takes several, the typed text may name several: 大坪村、双河村.
TEXT_SEPARATORS = re.compile(r"[、，,；;\n]+")
TYPED_MAX = 50  # names in one typed text: each is one query


class PickerInputError(ValueError):
    """A picker endpoint's parameter that cannot be used; the message names it in Chinese."""


def picker_query(request: HttpRequest) -> str:
    """The typed text (`q`), stripped; refused when empty or longer than QUERY_MAX."""
    q = str(request.GET.get("q") or "").strip()
    if not q:
        raise PickerInputError("请输入要查找的名称、拼音首字母或编号（q）")
    if len(q) > QUERY_MAX:
        raise PickerInputError(f"查找内容（q）最多 {QUERY_MAX} 个字")
    return q


def picker_answer(rows: Iterable[Any], item: Callable[[Any], dict[str, Any]]) -> JsonResponse:
    """The endpoint's answer: up to PICKER_LIMIT items, and whether more matched.
    `rows` is sliced to PICKER_LIMIT + 1 by the caller's queryset."""
    items = [item(row) for row in rows]
    return JsonResponse({"items": items[:PICKER_LIMIT], "more": len(items) > PICKER_LIMIT})


def picker_refusal(exc: PickerInputError) -> JsonResponse:
    return JsonResponse({"detail": str(exc)}, status=400)


class SearchPickerWidget(forms.Widget):
    """Type to search; one hidden id, or chips of hidden ids when `multiple`.
    `chosen(ids)` answers (id, label) pairs for the ids the form holds, so a re-rendered form
    shows its choices by name."""

    template = "core/_search_picker.html"

    def __init__(
        self,
        *,
        url_name: str,
        url_params: str = "",
        chosen: Callable[[list[int]], list[tuple[int, str]]] | None = None,
        multiple: bool = False,
        placeholder: str = "输入名称、拼音首字母或编号",
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs)
        self.url_name = url_name
        self.url_params = url_params
        self.chosen = chosen
        self.multiple = multiple
        self.placeholder = placeholder

    @property
    def is_hidden(self) -> bool:
        return False

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        # Text typed and not chosen (no script, or a script not used) is for the field to
        # resolve: {"text": ...}, with the chosen ids beside it where the field takes several.
        text = str(data.get(f"{name}_text") or "").strip()
        if self.multiple:
            ids = [v for v in data.getlist(name) if v] if hasattr(data, "getlist") else []
            return {"ids": ids, "text": text} if text else ids
        value = data.get(name)
        if not value:
            return {"text": text} if text else None
        return value

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False

    def _ids(self, value: Any) -> list[int]:
        if isinstance(value, dict):
            value = value.get("ids", [])
        values = value if isinstance(value, list | tuple) else [value]
        ids = [row_id(getattr(v, "pk", v)) for v in values]
        return [pk for pk in dict.fromkeys(ids) if pk is not None]

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        attrs = self.build_attrs(self.attrs, attrs)
        ids = self._ids(value)
        chosen = self.chosen(ids) if (self.chosen and ids) else []
        typed = value.get("text", "") if isinstance(value, dict) else ""
        input_id = attrs.get("id") or f"id_{name}"
        # render_to_string escaped every value: the markup is safe as a whole.
        return mark_safe(
            render_to_string(
                self.template,
                {
                    "name": name,
                    "input_id": input_id,
                    "url": reverse(self.url_name)
                    + (f"?{self.url_params}" if self.url_params else ""),
                    "multiple": self.multiple,
                    "chosen": chosen,
                    "typed": typed,
                    "placeholder": self.placeholder,
                },
            )
        )


class SearchPickerField(forms.Field):
    """Ids chosen with a SearchPickerWidget, looked up in a scoped queryset.
    `resolve_text` turns typed text into one row, or raises a ValidationError naming it."""

    def __init__(
        self,
        *,
        queryset: Any,
        url_name: str,
        label_of: Callable[[Any], str],
        url_params: str = "",
        multiple: bool = False,
        resolve_text: Callable[[str], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.queryset = queryset
        self.label_of = label_of
        self.multiple = multiple
        self.resolve_text = resolve_text
        kwargs.setdefault(
            "widget",
            SearchPickerWidget(
                url_name=url_name, url_params=url_params, chosen=self._chosen, multiple=multiple
            ),
        )
        super().__init__(**kwargs)

    def _chosen(self, ids: list[int]) -> list[tuple[int, str]]:
        rows = self.queryset.in_bulk(ids)
        return [(pk, self.label_of(rows[pk])) for pk in ids if pk in rows]

    def _row(self, value: Any) -> Any:
        """The row of one chosen id; a value that is no id (a staff number sent as the value)
        goes to resolve_text."""
        pk = row_id(value)
        if pk is None:
            return self._typed(str(value))
        row = self.queryset.filter(pk=pk).first()
        if row is None:
            raise forms.ValidationError(f"{self.label}：所选对象不存在或不在您的权限范围内")
        return row

    def _typed(self, text: str) -> Any:
        text = text.strip()
        if self.resolve_text is None:
            raise forms.ValidationError(f"{self.label}：请从查找结果中选择“{text[:20]}”")
        return self.resolve_text(text)

    def _several_typed(self, text: str) -> list[Any]:
        """Each name in the typed text resolved; the errors of all that did not resolve."""
        rows, errors = [], []
        pieces = [p for p in TEXT_SEPARATORS.split(text) if p.strip()]
        if len(pieces) > TYPED_MAX:
            raise forms.ValidationError(
                f"{self.label}：一次最多输入 {TYPED_MAX} 个名称，请从查找结果中选择"
            )
        for piece in pieces:
            try:
                rows.append(self._typed(piece))
            except forms.ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise forms.ValidationError(errors)
        return rows

    def clean(self, value: Any) -> Any:
        if self.multiple:
            return self._clean_several(value)
        if isinstance(value, dict):
            return self._typed(value["text"])
        if not value:
            if self.required:
                raise forms.ValidationError(f"请选择{self.label}")
            return None
        return self._row(value)

    def _clean_several(self, value: Any) -> list[Any]:
        text = ""
        if isinstance(value, dict):
            value, text = value.get("ids") or [], value.get("text") or ""
        ids: dict[int, None] = {}
        for v in value or []:
            pk = row_id(v)
            if pk is None:
                raise forms.ValidationError(f"{self.label}：无法识别的选择“{str(v)[:20]}”")
            ids[pk] = None
        rows = self.queryset.in_bulk(list(ids))
        if len(rows) != len(ids):
            raise forms.ValidationError(f"{self.label}：所选对象不存在或不在您的权限范围内")
        chosen = [rows[pk] for pk in ids]
        for row in self._several_typed(text):
            if row not in chosen:
                chosen.append(row)
        if not chosen and self.required:
            raise forms.ValidationError(f"请选择{self.label}")
        return chosen
