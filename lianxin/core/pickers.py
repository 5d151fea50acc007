"""The searchable picker shared by every form that chooses cadres, households or regions.

A text input and a results list fed by an endpoint of the kind's app (at most PICKER_LIMIT
rows, scoped to the user); choosing a row fills a hidden input with its id, or adds a chip
with its own hidden input where the field takes several. static/js/pickers.js does the
typing, the arrow keys, Enter and Escape; without a script the typed text is sent as
`<name>_text` and the field may resolve it itself (the cadre field takes a staff number).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.http import HttpRequest, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

PICKER_LIMIT = 20
QUERY_MAX = 30


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
        if self.multiple:
            return [v for v in data.getlist(name) if v] if hasattr(data, "getlist") else []
        value = data.get(name)
        if not value:
            # No script: the typed text stands in, for the field to resolve if it can.
            text = str(data.get(f"{name}_text") or "").strip()
            return {"text": text} if text else None
        return value

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False

    def _ids(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value]
        ids = []
        for v in values:
            v = getattr(v, "pk", v)
            try:
                ids.append(int(str(v)))
            except (TypeError, ValueError):
                continue
        return ids

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
    `resolve_text` may turn the text typed without a script into one row (or raise)."""

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

    def _one(self, value: Any) -> Any:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            if self.resolve_text is not None:  # a staff number sent as the value
                return self.resolve_text(str(value).strip())
            raise forms.ValidationError(
                f"{self.label}：无法识别的选择“{str(value)[:20]}”"
            ) from None
        row = self.queryset.filter(pk=pk).first()
        if row is None:
            raise forms.ValidationError(f"{self.label}：所选对象不存在或不在您的权限范围内")
        return row

    def clean(self, value: Any) -> Any:
        if isinstance(value, dict):
            if self.resolve_text is None:
                raise forms.ValidationError(f"请从“{self.label}”的查找结果中选择")
            return self.resolve_text(value["text"])
        if self.multiple:
            values = list(dict.fromkeys(value or []))
            if not values and self.required:
                raise forms.ValidationError(f"请选择{self.label}")
            ids = []
            for v in values:
                try:
                    ids.append(int(v))
                except (TypeError, ValueError):
                    raise forms.ValidationError(
                        f"{self.label}：无法识别的选择“{str(v)[:20]}”"
                    ) from None
            rows = self.queryset.in_bulk(ids)
            if len(rows) != len(set(ids)):
                raise forms.ValidationError(f"{self.label}：所选对象不存在或不在您的权限范围内")
            return [rows[pk] for pk in dict.fromkeys(ids)]
        if not value:
            if self.required:
                raise forms.ValidationError(f"请选择{self.label}")
            return None
        return self._one(value)
