"""`yinhui relative add | list | remove`: a cadre's relatives (亲属) and next of kin (紧急联系人).

The operator's own terminal: phones show in full here (never in a log or a group chat).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from yinhui.cli.common import (
    CadreArgument,
    CadreGridOption,
    FormatOption,
    _,
    database,
    print_json,
    print_table,
    yes_no,
)
from yinhui.i18n import N_

app = typer.Typer(help=N_("a cadre's relatives (亲属) and next of kin (紧急联系人)"))


@app.command("add", help=N_("add a cadre's relative, or change one already known by that name"))
def add(
    cadre: CadreArgument,
    name: Annotated[str, typer.Argument(help=N_("the relative's name"))],
    relation: Annotated[str | None, typer.Option(help=N_("配偶, 子女, 儿子, 女儿, 儿媳, 女婿, 孙子女, 兄弟姐妹 or 其他 (needed for a new relative)"))] = None,
    phone: Annotated[list[str] | None, typer.Option("--phone", help=N_("a phone number; repeat for several (replaces the stored ones)"))] = None,
    next_of_kin: Annotated[bool | None, typer.Option("--next-of-kin/--not-next-of-kin", help=N_("the emergency contact (紧急联系人); only one per cadre"))] = None,
    in_group: Annotated[bool | None, typer.Option("--in-group/--not-in-group", help=N_("a member of the grid's relatives' group (亲人群)"))] = None,
    grid: CadreGridOption = None,
) -> int:
    from yinhui.services.cadres import resolve_cadre
    from yinhui.services.relatives import check_relative, save_relative
    from yinhui.services.roster_import import roster_options

    fields = check_relative(name, relation=relation, phones=phone, next_of_kin=next_of_kin, in_group=in_group,
                            vocabulary=roster_options().vocabulary)
    with database() as session:
        found = resolve_cadre(session, cadre, grid=grid)
        saved = save_relative(session, found, fields, actor="cli:operator")
        relative = saved.relative
        what = f"{relative.name} ({relative.relation})"
        if saved.created:
            print(_("{cadre}: relative {relative} added", cadre=found.name, relative=what))
        elif saved.changed:
            print(_("{cadre}: relative {relative} changed: {fields}", cadre=found.name, relative=what,
                    fields=", ".join(saved.changed)))
        else:
            print(_("{cadre}: relative {relative} already so; nothing changed", cadre=found.name, relative=what))
        if relative.next_of_kin and "next_of_kin" in saved.changed:
            print(_("  {relative} is now the next of kin (紧急联系人)", relative=relative.name))
    return 0


@app.command("list", help=N_("a cadre's relatives, the next of kin first"))
def list_(cadre: CadreArgument, grid: CadreGridOption = None, fmt: FormatOption = "table") -> int:
    from yinhui.services.cadres import resolve_cadre
    from yinhui.services.relatives import list_relatives, relative_row

    with database(read_only=True) as session:
        found = resolve_cadre(session, cadre, grid=grid)
        rows: list[dict[str, Any]] = [relative_row(r, masked=False) for r in list_relatives(session, found.id or 0)]
        name = found.name
    if fmt == "json":
        print_json({"cadre": name, "relatives": rows})
        return 0
    print_table(
        [_("name"), _("relation"), _("phones"), _("next of kin"), _("in group")],
        [[r["name"], r["relation"], " / ".join(r["phones"]), yes_no(r["next_of_kin"]), yes_no(r["in_group"])] for r in rows],
    )
    print(_("({count} relative(s) of {cadre})", count=len(rows), cadre=name))
    return 0


@app.command("remove", help=N_("remove a cadre's relative"))
def remove(cadre: CadreArgument, name: Annotated[str, typer.Argument(help=N_("the relative's name"))], grid: CadreGridOption = None) -> int:
    from yinhui.services.cadres import resolve_cadre
    from yinhui.services.relatives import remove_relative

    with database() as session:
        found = resolve_cadre(session, cadre, grid=grid)
        gone = remove_relative(session, found, name, actor="cli:operator")
        print(_("{cadre}: relative {relative} removed", cadre=found.name, relative=gone.name))
        if gone.next_of_kin:
            print(_("  {cadre} has no next of kin now: name one with `yinhui relative add ... --next-of-kin`",
                    cadre=found.name))
    return 0
