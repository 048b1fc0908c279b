"""`soleflip catalog search|resolve`: the StockX catalog and SKU/size -> StockX id mapping."""

from __future__ import annotations

from typing import Annotated

import typer

from soleflip_cli.cli._common import (
    FormatOption,
    JsonOption,
    ManualWaitOption,
    manual_write,
    output_format,
    state,
)

app = typer.Typer(
    help="Search the StockX catalog and map SKUs and sizes to StockX ids.", no_args_is_help=True
)


@app.command("search")
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Product name, style code (SKU) or GTIN barcode.")],
    limit: Annotated[int, typer.Option(help="Most hits to show (1-50).", min=1, max=50)] = 20,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Search the StockX catalog (one API request).

    Example: soleflip catalog search "dunk low panda" --json
    """
    import dataclasses

    from soleflip_cli import render
    from soleflip_cli.services.auth import open_stockx
    from soleflip_cli.services.catalog import search_catalog

    with open_stockx(state(ctx).loaded) as client:
        hits = search_catalog(client, query, limit=limit)
    columns = [
        render.Column("style_id", "style"),
        render.Column("title"),
        render.Column("brand"),
        render.Column("retail_price", "retail", numeric=True),
        render.Column("retail_currency", "cur"),
        render.Column("release_date", "released"),
        render.Column("product_id", "stockx id"),
    ]
    rows = [dataclasses.asdict(hit) for hit in hits]
    render.render_rows(rows, columns, output_format(fmt, as_json), title=f"StockX: {query}")


@app.command("resolve")
def resolve(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="Style code, e.g. DD1391-100.")],
    size: Annotated[str, typer.Argument(help="Size as printed: 10, 10.5, 8W, 5Y, EU 44, UK 9.")],
    wait: ManualWaitOption = False,
    fmt: FormatOption = None,
    as_json: JsonOption = False,
) -> None:
    """Find the StockX product and variant of a SKU in a size and remember them locally.

    Once resolved, the same SKU and size need no StockX request.

    Example: soleflip catalog resolve DD1391-100 "US 10" --json
    """
    import dataclasses

    from soleflip_cli import render
    from soleflip_cli.services.auth import open_stockx
    from soleflip_cli.services.catalog import resolve_variant

    with manual_write(ctx, "catalog resolve", wait) as db_session, open_stockx(state(ctx).loaded) as client:
        result = resolve_variant(db_session, client, sku, size)
    render.render_object(dataclasses.asdict(result), output_format(fmt, as_json), title="StockX variant")
