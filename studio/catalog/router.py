"""JSON API of the catalogue under /api/v1: products (by product code), SKUs, price history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from studio.catalog import schemas, service
from studio.catalog.models import Product, Sku
from studio.deps import Actor, DbSession

router = APIRouter(tags=["catalogue"])


def _product(product_code: str, session: DbSession) -> Product:
    return service.get_product(session=session, product_code=product_code)


def _sku(sku: str, session: DbSession) -> Sku:
    return service.get_sku(session=session, sku=sku)


CurrentProduct = Annotated[Product, Depends(_product)]
CurrentSku = Annotated[Sku, Depends(_sku)]


@router.get("/products", response_model=schemas.ProductPage)
def list_products(
    session: DbSession,
    q: Annotated[str | None, Query(description="text in SKU, code, title, brand or tag")] = None,
    tag: str | None = None,
    category: str | None = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> schemas.ProductPage:
    """Search and page through products (Chinese text matches as typed)."""
    items, total = service.search_products(session=session, query=q, tag=tag, category=category,
                                           active=active, limit=limit, offset=offset)
    return schemas.ProductPage(items=[service.product_out(p) for p in items], total=total,
                               limit=limit, offset=offset)


@router.post("/products", response_model=schemas.ProductOut, status_code=201)
def create_product(
    product_in: schemas.ProductCreate, session: DbSession, actor: Actor, response: Response
) -> schemas.ProductOut:
    """Create a product with its SKUs."""
    product = service.create_product(session=session, product_in=product_in, actor=actor)
    response.headers["Location"] = f"/api/v1/products/{product.product_code}"
    return service.product_out(product)


@router.get("/products/{product_code}", response_model=schemas.ProductOut)
def read_product(product: CurrentProduct) -> schemas.ProductOut:
    """One product with its SKUs, selling points and tags."""
    return service.product_out(product)


@router.patch("/products/{product_code}", response_model=schemas.ProductOut)
def update_product(
    product_in: schemas.ProductUpdate, product: CurrentProduct, session: DbSession
) -> schemas.ProductOut:
    """Change product fields; selling points and tags are replaced whole when sent."""
    service.update_product(session=session, product=product, product_in=product_in)
    return service.product_out(product)


@router.delete("/products/{product_code}", status_code=204)
def delete_product(product: CurrentProduct, session: DbSession) -> Response:
    """Delete a product, its SKUs and their price history (prefer active=false to retire one)."""
    service.delete_product(session=session, product=product)
    return Response(status_code=204)


@router.get("/products/{product_code}/price-history",
            response_model=list[schemas.PriceChangeOut])
def product_price_history(product: CurrentProduct, session: DbSession
                          ) -> list[schemas.PriceChangeOut]:
    """Every price change of the product's SKUs, newest first."""
    return service.price_history(session=session, product=product)


@router.get("/skus/{sku}", response_model=schemas.SkuOut)
def read_sku(sku: CurrentSku) -> schemas.SkuOut:
    """One SKU with its prices."""
    return service.sku_out(sku)


@router.patch("/skus/{sku}", response_model=schemas.SkuOut)
def update_sku(
    sku_in: schemas.SkuUpdate, sku: CurrentSku, session: DbSession, actor: Actor
) -> schemas.SkuOut:
    """Change SKU prices, stock or options; each price change is recorded with the actor."""
    service.update_sku(session=session, sku=sku, sku_in=sku_in, actor=actor)
    return service.sku_out(sku)


@router.get("/categories", response_model=list[str])
def list_categories(session: DbSession) -> list[str]:
    """The categories in use, for filters."""
    return service.categories(session=session)
