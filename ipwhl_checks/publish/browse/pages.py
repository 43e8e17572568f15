"""The site's pages, each a pure function of what it is given (:func:`~.html.document`).

A project page (``_browse/p/<project>.html``) depends on its project's manifest entry and
METADATA (:class:`~.facts.Project`), the repository's environments, its dependents, which
of its dependencies have a page, and the integration results: nothing else, so an
unchanged project's page is reused by CID in the next release unless one of those moved.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement

from ...repo.settings import Environment
from ..manifest import WheelEntry
from .facts import Chooser, Dependency, Project
from .html import PAGES, document, e, human_bytes, link, number, page_path, url
from .integration import DIRECTORY, GOOD, Results
from .svg import Neighbour, neighbourhood, platform_label

__all__ = ["Context", "Figures", "front_page", "project_page", "projects_page"]


@dataclass(frozen=True)
class Context:
    """What every project page shares: the environments (Python-major, as the settings
    list them, in the *chooser*) and the integration results (sorted by environment)."""

    chooser: Chooser
    pythons: Sequence[str]
    platforms: Sequence[str]
    integration: Sequence[Results] = ()

    @cached_property
    def matrix_head(self) -> str:
        return "".join(f'<th scope="col"><span>{e(system)}</span> <small>{e(machine)}</small>'
                       "</th>" for system, machine in map(platform_label, self.platforms))

    @cached_property
    def row_heads(self) -> list[str]:
        return [f'<tr><th scope="row">CPython {e(python)}</th>' for python in self.pythons]

    @cached_property
    def env_attrs(self) -> list[str]:
        """Each environment's ``data-env`` attribute, in the chooser's order."""
        return [f' data-env="{e(env.name)}"' for env in self.chooser.environments]


# a project page is _browse/p/<prefix>/<name>.html: three levels below the tree's root
_ROOT = "../../../"


def _wheel_href(project: str, filename: str) -> str:
    return f"{_ROOT}{project}/{filename}"


def _peer(name: str) -> str:
    """Another project's page, from a project page."""
    return "../" + page_path(name).removeprefix(f"{PAGES}/")


def _cell_label(wheel: WheelEntry) -> tuple[str, str]:
    """(kind class, short tag text) of a wheel: ``pure``/``py3``, ``binary``/``cp312-abi3``."""
    stem = wheel.filename.removesuffix(".whl").split("-")
    python, abi, platform = (stem[-3], stem[-2], stem[-1]) if len(stem) >= 5 else ("", "", "")
    if platform == "any":
        return "pure", python
    return "binary", f"{python}-{abi}" if abi not in ("none", python) else python


_NONE = ('<td class="none"', ' data-wheel=""><span title="no wheel installs here">\u2014'
         "</span></td>")


def _cell(project: str, wheel: WheelEntry) -> tuple[str, str]:
    """A matrix cell of *wheel*, around its ``data-env`` attribute."""
    kind, tag = _cell_label(wheel)
    href = url(_wheel_href(project, wheel.filename))
    return (f'<td class="{kind}"',
            f' data-wheel="{e(wheel.filename)}"><a href="{href}" title="{e(wheel.filename)}">'
            f"{e(wheel.version)}<small>{e(tag)}</small></a></td>")


def _matrix(p: Project, ctx: Context) -> str:
    chosen = ctx.chooser.serving(p.entry.wheels)
    cells: dict[str, tuple[str, str]] = {}  # each wheel's cell, made once
    width = len(ctx.platforms)
    rows = []
    for i, head in enumerate(ctx.row_heads):
        row = [head]
        for k in range(i * width, (i + 1) * width):
            wheel = chosen[k]
            if wheel is None:
                before, after = _NONE
            else:
                found = cells.get(wheel.filename)
                if found is None:
                    found = cells[wheel.filename] = _cell(p.name, wheel)
                before, after = found
            row += (before, ctx.env_attrs[k], after)
        row.append("</tr>")
        rows.append("".join(row))
    served = sum(w is not None for w in chosen)
    return (
        '<section id="environments"><h2>Environments</h2>\n'
        f'<p>What <code>pip install {e(p.name)}</code> gets on each of the repository\'s '
        f"{len(chosen)} environments: a wheel on {served}"
        f"{'' if served == len(chosen) else f', none on {len(chosen) - served}'}.</p>\n"
        f'<div class="scroll"><table class="matrix"><thead><tr><th scope="col">Python</th>'
        f'{ctx.matrix_head}</tr></thead>\n<tbody>{"".join(rows)}</tbody></table></div>\n'
        '<p class="legend"><span class="key binary"></span>compiled wheel '
        '<span class="key pure"></span>pure-Python wheel <span class="key none"></span>'
        "no wheel</p></section>\n")


def _facts(p: Project) -> str:
    m = p.meta
    rows = [("Version", e(p.version) + (
        f' <span class="muted">(also {", ".join(map(e, p.versions[1:]))})</span>'
        if len(p.versions) > 1 else ""))]
    rows.append(("License", e(m.license) if m.license else '<span class="muted">not stated'
                 "</span>"))
    rp = p.representative.requires_python if p.representative is not None else None
    rows.append(("Requires Python", f"<code>{e(rp)}</code>" if rp else
                 '<span class="muted">any</span>'))
    if m.home:
        rows.append(("Home page", f'<a href="{e(m.home)}" rel="nofollow">{e(m.home)}</a>'))
    if m.changelog:
        rows.append(("Changelog", f'<a href="{e(m.changelog)}" rel="nofollow">'
                     f"{e(m.changelog)}</a>"))
    for label, target in m.urls:
        rows.append((label, f'<a href="{e(target)}" rel="nofollow">{e(target)}</a>'))
    rows.append(("Index page", link(f"{_ROOT}{p.name}/index.html", f"/{p.name}/")))
    items = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<dl class="facts">{items}</dl>\n'


def _install(p: Project) -> str:
    return ('<div class="install"><h2>Install</h2>\n<pre><code>pip install --index-url '
            '<span data-index-url>&lt;this repository&gt;/</span> '
            f"{e(p.name)}</code></pre>\n"
            '<p class="muted">The index URL is this tree\'s root: '
            "<code>&lt;gateway&gt;/ipfs/&lt;root CID&gt;/</code>.</p></div>\n")


def _needed(d: Dependency, environments: Sequence[Environment]) -> bool:
    """Whether *d*'s marker holds on one of *environments* (with its extra asked for)."""
    try:
        marker = Requirement(d.text).marker
        return marker is None or any(marker.evaluate({**env.markers, "extra": d.extra or ""})
                                     for env in environments)
    except (InvalidRequirement, InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return True  # (ipwhl check reports it: IW405)


def _dependencies(p: Project, ctx: Context, linked: Collection[str],
                  dependents: Sequence[str]) -> str:
    groups: dict[str | None, list[str]] = {}
    drawn = set()  # the dependencies some environment here needs
    for d in p.dependencies:
        name = link(_peer(d.project), d.project) if d.project in linked else e(d.project)
        note = ""
        if _needed(d, ctx.chooser.environments):
            drawn.add(d.project)
        else:
            note = ' <span class="muted">\u2014 on none of the environments here</span>'
        groups.setdefault(d.extra, []).append(
            f"<li>{name} <code>{e(d.text)}</code>{note}</li>")
    if groups:
        parts = []
        for extra, items in groups.items():
            title = "Always" if extra is None else f"With the extra <code>{e(extra)}</code>"
            parts.append(f"<h3>{title}</h3><ul class=\"deps\">{''.join(items)}</ul>")
        needs = "".join(parts)
    else:
        needs = '<p class="muted">No dependencies.</p>'
    if dependents:
        chips = "".join(f"<li>{link(_peer(n), n)}</li>" for n in dependents)
        required = f'<ul class="chips">{chips}</ul>'
    else:
        required = '<p class="muted">No project in this repository depends on it.</p>'
    optional = {d.project for d in p.dependencies if d.extra is not None} - {
        d.project for d in p.dependencies if d.extra is None}
    picture = neighbourhood(
        p.name, p.version,
        [Neighbour(n, n in optional, _peer(n) if n in linked else "")
         for n in p.dependency_names if n in drawn],
        [Neighbour(n, False, _peer(n)) for n in dependents])
    return (
        '<section id="graph"><h2>Dependency graph</h2>\n'
        f'<div class="scroll picture">{picture}</div>\n'
        '<p class="legend">Dashed: needed only for an extra. Dependencies that no '
        "environment here needs are left out.</p></section>\n"
        '<div class="cols"><section id="dependencies">'
        f"<h2>Dependencies ({len(p.dependency_names)})</h2>\n{needs}</section>\n"
        f'<section id="required-by"><h2>Required by ({len(dependents)})</h2>\n{required}'
        "</section></div>\n")


def _extras(p: Project) -> str:
    declared = p.extras
    other = [x for x in p.meta.provides if x not in declared]
    text = (" ".join(f"<code>{e(x)}</code>" for x in declared) if declared else
            '<span class="muted">none</span>')
    more = (f'<p class="muted">Also defined by the wheel, not supported here: '
            f"{' '.join(f'<code>{e(x)}</code>' for x in other)}.</p>" if other else "")
    return (f'<section id="extras"><h2>Extras</h2>\n<p>Supported here: {text}</p>{more}'
            "</section>\n")


def _integration(p: Project, results: Sequence[Results]) -> str:
    if not results:
        return ('<section id="integration"><h2>Integration</h2>\n<p class="muted">This '
                "release carries no integration results (<code>ipwhl integrate</code> makes "
                "them).</p></section>\n")
    rows = []
    for r in results:
        env = link(f"{_ROOT}{DIRECTORY}/{r.filename}", r.environment)
        o = r.projects.get(p.name)
        if o is None:
            rows.append(f'<tr data-env="{e(r.environment)}"><td>{env}</td>'
                        '<td><span class="badge">not tested</span></td><td></td><td></td>'
                        "<td></td></tr>")
            continue
        kind = "good" if o.outcome in GOOD else "bad"
        tests = ""
        if o.tests:
            said = "passed" if o.tests == "passed" else o.tests
            detail = f" {e(o.tests_detail)}" if o.tests_detail else ""
            tests = (f'<span class="badge {"good" if o.tests == "passed" else "bad"}">'
                     f"{e(said)}</span>{detail}")
        rows.append(f'<tr data-env="{e(r.environment)}"><td>{env}</td>'
                    f'<td><span class="badge {kind}">{e(o.outcome)}</span></td>'
                    f"<td>{e(o.version)}</td><td>{e(o.detail)}</td><td>{tests}</td></tr>")
    return ('<section id="integration"><h2>Integration</h2>\n'
            f"<p>Installed and imported on its own, as <code>ipwhl integrate</code> "
            "found it.</p>\n"
            '<div class="scroll"><table class="list"><thead><tr><th>Environment</th>'
            "<th>Outcome</th><th>Version</th><th>Detail</th><th>Test suite</th></tr></thead>\n"
            f'<tbody>{"".join(rows)}</tbody></table></div></section>\n')


def _files(p: Project) -> str:
    rows = []
    order = {v: i for i, v in enumerate(p.versions)}
    for w in sorted(p.entry.wheels, key=lambda w: (order.get(w.version, len(order)),
                                                   w.filename)):
        href = _wheel_href(p.name, w.filename)
        rows.append(
            f'<tr><td class="file"><a href="{url(href)}">{e(w.filename)}</a></td>'
            f"<td>{e(w.version)}</td><td>{human_bytes(w.size)}</td>"
            f"<td>{e(w.requires_python or '')}</td>"
            f'<td><code class="hash">{e(w.sha256)}</code></td>'
            f'<td><a href="{url(href + ".metadata")}">METADATA</a></td></tr>')
    return ('<section id="files"><h2>Files</h2>\n<div class="scroll"><table class="list files">'
            "<thead><tr><th>File</th><th>Version</th><th>Size</th><th>Requires Python</th>"
            f"<th>sha256</th><th></th></tr></thead>\n<tbody>{''.join(rows)}</tbody>"
            "</table></div></section>\n")


def project_page(p: Project, ctx: Context, dependents: Sequence[str],
                 linked: Collection[str]) -> bytes:
    """``_browse/p/<project>.html``: *dependents* are the projects that depend on it
    (sorted), *linked* the dependencies that have a page."""
    summary = f'<p class="summary">{e(p.meta.summary)}</p>' if p.meta.summary else ""
    main = (
        f'<div class="head"><h1>{e(p.name)} <span class="version">{e(p.version)}</span></h1>'
        f"{summary}</div>\n"
        f'<div class="cols">{_facts(p)}{_install(p)}</div>\n'
        f"{_matrix(p, ctx)}{_dependencies(p, ctx, linked, dependents)}{_extras(p)}"
        f"{_integration(p, ctx.integration)}{_files(p)}")
    return document(title=f"{p.name} {p.version} \u00b7 IPWHL", depth=2, main=main,
                    description=p.meta.summary)


@dataclass(frozen=True)
class Figures:
    """The release's figures for the front page (from the manifest)."""

    projects: int
    wheels: int
    total_bytes: int
    environments: Sequence[str]
    manifest_cid: str
    source_commit: str | None
    profile: str


def front_page(fig: Figures, picture: str, changes: str | None) -> bytes:
    """``_browse/index.html``: the figures, the search, the coverage picture.  *changes*: a
    line summing up the changes page, if there is one."""
    commit = f"<code>{e(fig.source_commit)}</code>" if fig.source_commit else \
        '<span class="muted">none (published from uncommitted files)</span>'
    figures = (
        f'<div class="figure"><b>{number(fig.projects)}</b><span>projects</span></div>'
        f'<div class="figure"><b>{number(fig.wheels)}</b><span>wheels</span></div>'
        f'<div class="figure" title="{number(fig.total_bytes)} bytes">'
        f"<b>{human_bytes(fig.total_bytes)}</b><span>of wheels</span></div>"
        f'<div class="figure"><b>{len(fig.environments)}</b><span>environments</span></div>')
    about = (
        '<section><h2>This release</h2><dl class="facts">'
        "<dt>Root CID</dt><dd><code data-root-cid>the CID in the address bar, after "
        "/ipfs/</code></dd>"
        f'<dt>Manifest</dt><dd><a href="../manifest.json"><code>{e(fig.manifest_cid)}'
        "</code></a></dd>"
        f"<dt>Source commit</dt><dd>{commit}</dd>"
        f"<dt>Import profile</dt><dd><code>{e(fig.profile)}</code></dd>"
        f"<dt>Wheel bytes</dt><dd>{number(fig.total_bytes)}</dd>"
        "<dt>Index URL</dt><dd><code data-index-url>&lt;gateway&gt;/ipfs/&lt;root CID&gt;/"
        "</code></dd></dl></section>\n")
    changed = (f'<p class="changes">{e(changes)} \u2014 <a href="changes.html">what changed '
               "in this release</a></p>\n" if changes else "")
    environments = "".join(f"<li><code>{e(n)}</code></li>" for n in fig.environments)
    main = (
        '<div class="hero"><h1>IPWHL</h1>\n'
        "<p>A curated Python wheel repository, published on IPFS as one tree named by one "
        "CID.</p>\n"
        '<form class="search" action="index.html" method="get" role="search">'
        '<input id="q" type="search" name="q" placeholder="Search by name or summary" '
        'aria-label="Search projects" autocomplete="off">'
        '<button type="submit">Search</button></form>\n'
        '<noscript><p class="muted">Searching needs JavaScript; '
        '<a href="projects.html">the list of all projects</a> does not.</p></noscript>\n'
        '<ol id="results" class="results" aria-live="polite"></ol></div>\n'
        f'<div class="figures">{figures}</div>\n{changed}'
        '<section id="coverage"><h2>Coverage</h2>\n'
        "<p>How many projects install on each environment; the bar splits them into "
        "compiled wheels (dark) and pure-Python ones (light).</p>\n"
        f'<div class="scroll picture">{picture}</div></section>\n'
        f'<div class="cols">{about}<section><h2>Environments</h2>\n'
        f'<ul class="envs">{environments}</ul></section></div>\n')
    return document(title="IPWHL", depth=0, main=main,
                    description="A curated Python wheel repository on IPFS")


def projects_page(names: Sequence[str]) -> bytes:
    """``_browse/projects.html``: a link to every project's page, by initial (it depends
    on the names alone, so a release that only changes projects reuses it)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name[:1] if name[:1].isalpha() else "0-9", []).append(name)
    index = " ".join(f'<a href="#i-{e(k)}">{e(k.upper())}</a>' for k in groups)
    parts = []
    for k, members in groups.items():
        items = "".join(f"<li>{link(page_path(n), n)}</li>" for n in members)
        parts.append(f'<section id="i-{e(k)}"><h2>{e(k.upper())}</h2>'
                     f'<ul class="names">{items}</ul></section>\n')
    main = (f"<h1>All projects <small>{number(len(names))}</small></h1>\n"
            f'<p class="letters">{index}</p>\n{"".join(parts)}')
    return document(title="All projects \u00b7 IPWHL", depth=0, main=main)
