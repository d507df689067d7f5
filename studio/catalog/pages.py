"""HTML pages of the catalogue: search and list, a product with its price history, an edit form."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from studio.catalog import schemas, service, values
from studio.catalog.models import PRICE_FIELDS, Product
from studio.deps import DbSession
from studio.errors import ValidationFailed
from studio.i18n import translate
from studio.web import format_money, page_language, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
SKU_FORM_FIELDS = (*PRICE_FIELDS, "commission_rate", "stock")


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(
    request: Request,
    session: DbSession,
    q: str | None = None,
    category: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    """The catalogue: search by SKU, title or tag; filter by category; page through."""
    products, total = service.search_products(
        session=session, query=q, category=category or None, limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    return render(request, "catalog/list.html", {
        "products": products, "total": total, "q": q or "", "category": category or "",
        "categories": service.categories(session=session), "page": page, "pages": pages,
    })


@router.get("/catalog/{product_code}", response_class=HTMLResponse)
def product_page(request: Request, product_code: str, session: DbSession,
                 saved: bool = False) -> HTMLResponse:
    """One product: SKUs and prices, selling points, tags and the price history."""
    product = service.get_product(session=session, product_code=product_code)
    history = service.price_history(session=session, product=product)
    return render(request, "catalog/detail.html",
                  {"product": product, "history": history, "saved": saved})


@router.get("/catalog/{product_code}/edit", response_class=HTMLResponse)
def edit_page(request: Request, product_code: str, session: DbSession) -> HTMLResponse:
    product = service.get_product(session=session, product_code=product_code)
    return render(request, "catalog/edit.html",
                  {"product": product, "form": _form_from_product(product), "errors": {}})


@router.post("/catalog/{product_code}/edit", response_class=HTMLResponse)
async def save_product(request: Request, product_code: str, session: DbSession) -> Response:
    """Save the edit form; on a bad value show the form again with the reason next to the field."""
    product = service.get_product(session=session, product_code=product_code)
    form = {k: str(v) for k, v in (await request.form()).items()}
    errors: dict[str, str] = {}
    product_in, sku_updates = _parse_form(product, form, errors, page_language(request))
    if not errors:
        try:
            with session.begin_nested():  # all of the form or none of it
                service.update_product(session=session, product=product, product_in=product_in)
                actor = (form.get("changed_by") or "").strip()[:120] or "web"
                for sku, sku_in in sku_updates:
                    service.update_sku(session=session, sku=sku, sku_in=sku_in, actor=actor,
                                       source="web")
        except ValidationFailed as exc:
            errors["_form"] = exc.message
    if errors:
        session.expire_all()
        product = service.get_product(session=session, product_code=product_code)
        return render(request, "catalog/edit.html",
                      {"product": product, "form": form, "errors": errors}, status_code=422)
    return RedirectResponse(f"/catalog/{quote(product.product_code)}?saved=1", status_code=303)


def _form_from_product(product: Product) -> dict[str, str]:
    form = {
        "title": product.title, "brand": product.brand or "", "category": product.category or "",
        "image": product.image or "", "notes": product.notes or "",
        "active": "on" if product.active else "",
        "selling_points": "\n".join(f"{p.fabe}:{p.text}" if p.fabe else p.text
                                    for p in product.selling_points),
        "tags": values.format_tags([t.tag for t in product.tags]),
    }
    for sku in product.skus:
        for name in SKU_FORM_FIELDS:
            value = getattr(sku, name)
            if name in PRICE_FIELDS:
                text = values.format_money(value)
            elif name == "commission_rate":
                text = values.format_rate(value)
            else:
                text = str(value)
            form[f"{sku.sku}.{name}"] = text
    return form


def _parse_form(
    product: Product, form: dict[str, str], errors: dict[str, str], language: str
) -> tuple[schemas.ProductUpdate, list[tuple[Any, schemas.SkuUpdate]]]:
    required = translate(language, "required")
    title = form.get("title", "").strip()
    if not title:
        errors["title"] = required
    points: list[schemas.SellingPointIn] = []
    for line_no, line in enumerate(form.get("selling_points", "").splitlines(), 1):
        try:
            points.extend(schemas.SellingPointIn(text=text, fabe=fabe)
                          for text, fabe in values.parse_selling_points(line))
        except ValueError as exc:
            errors["selling_points"] = translate(language, "line %(line)s: %(problem)s") % {
                "line": line_no, "problem": exc}
    try:
        tags = values.parse_tags(form.get("tags", ""))
    except ValueError as exc:
        errors["tags"] = str(exc)
        tags = []
    try:
        product_in = schemas.ProductUpdate(
            title=title or product.title, brand=form.get("brand", "").strip() or None,
            category=form.get("category", "").strip() or None,
            image=form.get("image", "").strip() or None,
            notes=form.get("notes", "").strip() or None,
            active=form.get("active") == "on", selling_points=points, tags=tags,
        )
    except ValidationError as exc:
        for error in exc.errors():
            errors[str(error["loc"][0])] = str(error["msg"])
        product_in = schemas.ProductUpdate()
    sku_updates = []
    for sku in product.skus:
        parsed: dict[str, Decimal | int | None] = {}
        for name in SKU_FORM_FIELDS:
            key = f"{sku.sku}.{name}"
            text = form.get(key, "").strip()
            if not text:
                if name in ("live_price", "stock"):
                    errors[key] = required
                parsed[name] = None
                continue
            try:
                if name in PRICE_FIELDS:
                    parsed[name] = values.parse_money(text)
                elif name == "commission_rate":
                    parsed[name] = values.parse_rate(text)
                else:
                    parsed[name] = values.parse_count(text)
            except ValueError as exc:
                errors[key] = str(exc)
        live, floor = parsed.get("live_price"), parsed.get("floor_price")
        if live is not None and floor is not None and floor > live:
            errors[f"{sku.sku}.floor_price"] = translate(language, "above the live price %(price)s") % {
                "price": format_money(live, product.currency, language)}
        sku_updates.append((sku, schemas.SkuUpdate.model_construct(
            _fields_set=set(SKU_FORM_FIELDS), **parsed)))
    return product_in, sku_updates
