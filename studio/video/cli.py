"""`studio clip …`: cut lists to review, batch renders with progress, templates, timelines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from studio.cli_support import console, err_console, session_factory
from studio.config import get_settings
from studio.db import transaction
from studio.errors import ValidationFailed
from studio.video import batch as batch_mod
from studio.video import templates
from studio.video.cuts import Cut, CutRules, read_cut_list, write_cut_list
from studio.video.timecode import format_time

app = typer.Typer(help="Short clips from the stream recording 切片: plan, render, templates.",
                  no_args_is_help=True)

RecordingOption = Annotated[Path | None, typer.Option(
    "--recording", help="the stream recording (MP4, FLV, MKV, MOV …)")]
StartOption = Annotated[str | None, typer.Option(
    "--recording-start", help="when the recording began (ISO 8601; default: when the show went "
    "live)")]


def _probe(path: Path):
    from studio.video.probe import probe

    return probe(path)


@app.command("plan")
def plan_command(
    show: Annotated[str, typer.Argument(help="show id")],
    out: Annotated[Path, typer.Option(help="cut list to write (.csv or .yaml)")] = Path("cuts.csv"),
    recording: RecordingOption = None,
    recording_start: StartOption = None,
    pad_before: Annotated[float, typer.Option(min=0, help="seconds kept before a card")] = 1.0,
    pad_after: Annotated[float, typer.Option(min=0, help="seconds kept after a card")] = 1.0,
    min_length: Annotated[float, typer.Option(min=0, help="shorter windows are dropped")] = 8.0,
    max_length: Annotated[float, typer.Option(min=1, help="longer windows are cut short")] = 180.0,
) -> None:
    """Write a cut list from the show's event log — one clip per product card — to review and edit."""
    from studio.video.service import show_cuts

    duration = _probe(recording).duration if recording else None
    rules = CutRules(pad_before, pad_after, min_length, max_length)
    with transaction(session_factory()) as session:
        cuts, start = show_cuts(session, show, recording_start=recording_start,
                                recording_duration=duration, rules=rules)
    write_cut_list(cuts, out)
    console.print(f"{len(cuts)} clips from {show} (recording starts {start.isoformat()}) → {out}",
                  markup=False)
    _print_cuts(cuts)


def _print_cuts(cuts: list[Cut]) -> None:
    table = Table("#", "start", "end", "length", "sku", "title", "price", box=None)
    for cut in cuts:
        table.add_row(str(cut.index), format_time(cut.start), format_time(cut.end),
                      f"{cut.duration:.1f}s", escape(cut.sku or ""), escape(cut.title or ""),
                      templates.format_price(cut.price))
    console.print(table)


@app.command("render")
def render_command(
    out: Annotated[Path, typer.Option(help="folder for the clips and the manifest")],
    recording: Annotated[Path, typer.Option(help="the stream recording")],
    show: Annotated[str | None, typer.Option(help="cut by the show's product cards")] = None,
    cuts: Annotated[Path | None, typer.Option(help="a cut list (.csv or .yaml)")] = None,
    transcript: Annotated[Path | None, typer.Option(
        help="subtitles for the recording: SRT, VTT, ASS or word-level JSON")] = None,
    template: Annotated[str, typer.Option(help="template name or .yaml file")] = "default",
    jobs: Annotated[int, typer.Option(min=1, max=32, help="clips rendered at once")] = 1,
    recording_start: StartOption = None,
    force: Annotated[bool, typer.Option(help="render again even when nothing changed")] = False,
    timeline: Annotated[bool, typer.Option(help="also write timeline.edl and timeline.fcpxml")]
    = True,
) -> None:
    """Render one vertical clip per cut: subtitles, price banner, loudness, cover; resumable."""
    from studio.video.subtitles import load_transcript

    if (show is None) == (cuts is None):
        raise ValidationFailed("give either --show SHOW or --cuts FILE")
    settings = get_settings()
    if not recording.is_file():
        raise ValidationFailed(f"--recording: {recording} does not exist")
    info = _probe(recording)
    chosen = templates.load_template(template, home=settings.home)
    cues = load_transcript(transcript) if transcript else []
    cut_list, banners = _cuts_and_banners(show, cuts, info.duration, recording_start)
    specs = batch_mod.specs_for(cut_list, banners)
    fonts_dir = settings.font_path.parent if settings.font_path else None
    job = batch_mod.Batch(recording=info, clips=specs, out_dir=out, template=chosen, cues=cues,
                          ffmpeg_bin=settings.ffmpeg_binary(), fonts_dir=fonts_dir, jobs=jobs,
                          force=force, timelines=timeline)
    console.print(f"{len(specs)} clips from {recording.name} ({format_time(info.duration)}) with "
                  f"template {chosen.name!r}, {jobs} at a time → {out}", markup=False)
    result = _run_with_progress(job)
    rendered, skipped, failed = (result.count(s) for s in ("rendered", "skipped", "failed"))
    console.print(f"{rendered} rendered, {skipped} skipped (unchanged), {failed} failed; "
                  f"manifest: {out / batch_mod.MANIFEST}", markup=False)
    if failed:
        raise typer.Exit(1)


def _cuts_and_banners(show: str | None, cuts: Path | None, duration: float,
                      recording_start: str | None):
    from sqlalchemy.exc import SQLAlchemyError

    from studio.errors import ConfigurationError
    from studio.video.service import catalogue_banners, show_cuts

    if show is not None:
        with transaction(session_factory()) as session:
            cut_list, _ = show_cuts(session, show, recording_start=recording_start,
                                    recording_duration=duration)
        return cut_list, {}
    assert cuts is not None
    cut_list = read_cut_list(cuts)
    skus = [c.sku for c in cut_list if c.sku and (c.price is None or c.title is None)]
    if not skus:
        return cut_list, {}
    try:  # the catalogue fills the banner's title and prices the cut list leaves out
        with transaction(session_factory()) as session:
            return cut_list, catalogue_banners(session, skus)
    except (ConfigurationError, SQLAlchemyError) as exc:
        err_console.print(f"note: no catalogue to read prices from ({exc}); banners show what "
                          "the cut list gives", markup=False)
        return cut_list, {}


def _run_with_progress(job: batch_mod.Batch) -> batch_mod.BatchResult:
    total = sum(batch_mod.clip_duration(job.template, s.cut, job.recording) for s in job.clips)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        overall = progress.add_task(f"all {len(job.clips)} clips", total=total or 1)
        tasks: dict[str, TaskID] = {}
        done: dict[str, float] = {}

        def on_event(event: batch_mod.ProgressEvent) -> None:
            if event.kind == "start":
                tasks[event.name] = progress.add_task(f"  {event.name}", total=event.total or 1)
            elif event.kind == "progress" and event.name in tasks:
                progress.update(tasks[event.name], completed=event.done)
            if event.kind in ("progress", "done"):
                done[event.name] = event.total if event.kind == "done" else event.done
                progress.update(overall, completed=sum(done.values()))
            if event.kind == "done" and event.outcome is not None:
                if event.name in tasks:
                    progress.remove_task(tasks.pop(event.name))
                _report(progress, event.outcome)

        return batch_mod.render_batch(job, on_event)


def _report(progress: Progress, outcome: batch_mod.ClipOutcome) -> None:
    label = f"{outcome.name} ({format_time(outcome.start)}–{format_time(outcome.end)})"
    if outcome.status == "rendered":
        progress.console.print(f"[green]✓[/] {escape(label)} rendered in {outcome.seconds:.1f} s")
    elif outcome.status == "skipped":
        progress.console.print(f"[dim]↷ {escape(label)} unchanged, skipped[/]")
    else:
        progress.console.print(f"[red]✗ {escape(label)} failed:[/]")
        for line in (outcome.error or "").splitlines():
            progress.console.print(f"    {line}", markup=False, highlight=False)


@app.command("timeline")
def timeline_command(
    recording: Annotated[Path, typer.Option(help="the stream recording")],
    cuts: Annotated[Path, typer.Option(help="a cut list (.csv or .yaml)")],
    out: Annotated[Path, typer.Option(help="timeline.edl or timeline.fcpxml")],
) -> None:
    """Export a cut list as an EDL or FCPXML timeline, for finishing in Premiere or Resolve."""
    from studio.video import timeline

    if not recording.is_file():
        raise ValidationFailed(f"--recording: {recording} does not exist")
    timeline.export_timeline(read_cut_list(cuts), _probe(recording), out)
    console.print(f"wrote {out}", markup=False)


@app.command("templates")
def templates_command(
    show_name: Annotated[str | None, typer.Argument(
        metavar="NAME", help="print one template's settings in full")] = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List the clip templates (yours in STUDIO_HOME/templates, then the built-in ones)."""
    home = get_settings().home
    if show_name:
        chosen = templates.load_template(show_name, home=home)
        console.print_json(json.dumps(chosen.model_dump(mode="json"), ensure_ascii=False))
        return
    found = templates.available(home)
    if json_output:
        console.print_json(json.dumps({name: str(path) for name, path in found.items()}))
        return
    table = Table("name", "layout", "description", "file", box=None)
    for name, path in found.items():
        chosen = templates.load_template(name, home=home)
        table.add_row(escape(name), chosen.layout, escape(chosen.description), escape(str(path)))
    console.print(table)


@app.command("transcribe")
def transcribe_command(
    recording: Annotated[Path, typer.Argument(help="the stream recording")],
    model: Annotated[Path, typer.Option(help="local model folder (never downloaded)")],
    out: Annotated[Path, typer.Option(help="word-level JSON transcript to write")],
    engine: Annotated[str, typer.Option(help="speech recognition engine")] = "faster-whisper",
    language: Annotated[str | None, typer.Option(help="e.g. zh; default: detected")] = None,
) -> None:
    """Transcribe the recording once into word-timed JSON that `clip render --transcript` reads."""
    from studio.video import asr

    if not recording.is_file():
        raise ValidationFailed(f"{recording} does not exist")
    transcriber = asr.get_transcriber(engine, model)
    console.print(f"transcribing {recording.name} with {engine} ({model}) …", markup=False)
    cues = transcriber.transcribe(recording, language=language)
    asr.write_word_json(cues, out)
    console.print(f"{len(cues)} cues → {out}", markup=False)
