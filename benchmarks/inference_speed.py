#!/usr/bin/env python
"""Inference time of distilled MLP students vs their (hyper)graph teachers, side by side in one process.

    python benchmarks/inference_speed.py [--reps 7] [--quick] [--data-root DIR] [--out FILE.md]

For every case the student (an MLP that reads only node features) and its
teacher (HGNN on hypergraphs, GraphSAGE / the VQGraph tokenizer on graphs) run
on the same nodes, same device, in the same run; reported times are the median
of ``--reps`` alternating teacher / student rounds (each timed call right after an
untimed one of the same model), and the ratio teacher / student.

* **full graph** — logits for every node (teacher: full propagation);
* **10 nodes** — GLNN's latency protocol: 10 random nodes; the teacher needs their
  2-hop neighbourhood (extracted inside the timed region: k-hop subgraph on
  graphs, vertex→hyperedge→vertex twice on hypergraphs), the student only
  their 10 feature rows.

Cases: a synthetic hypergraph with 55,000 vertices (LightHGNN's "5.5w" claim),
a synthetic graph with 100,000 nodes, and the real data sets when their files
are present (cocitation-cora, cora, amazon-computers). Weights are untrained:
inference time does not depend on their values.

Where ``dhg`` is installed (it is in the ``[dev]`` extra), the hypergraph cases
also time DHG's ``HGNN``, the teacher of the official LightHGNN code, full graph
on the same vertices (its cached Laplacian is built in the warm-up, outside the
timed calls), so the student's speed-up is shown against both teachers.

The models are the library's: :class:`~graphkit.LightHGNN` (its ``teacher`` HGNN and
its student MLP), :class:`~graphkit.GLNN` (GraphSAGE-gcn teacher, MLP student) and
:class:`~graphkit.VQGraph` (``tokenizer`` and student), built with their default
sizes; each timed call goes through ``benchmarks/harness.py``'s ``timed``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch
from torch_geometric.utils import k_hop_subgraph

try:
    import graphkit  # noqa: F401
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import threads, timed  # noqa: E402

from graphkit import GLNN, LightHGNN, VQGraph, datasets  # noqa: E402
from graphkit.models.lighthgnn import prepare_hypergraph, restrict_hypergraph  # noqa: E402


def paired_medians(teacher_fn, student_fn, reps: int) -> tuple[float, float]:
    """Median seconds of ``teacher_fn`` and ``student_fn`` over ``reps`` alternating rounds.

    Alternating keeps a noisy shared machine from favouring whichever side ran in a quieter moment; each
    timed call follows an untimed call of the same function, so neither side pays for the other's memory
    traffic (the first call also builds DHG's cached Laplacian).
    """
    times = ([], [])
    with torch.no_grad():
        for _ in range(reps):
            for fn, out in zip((teacher_fn, student_fn), times, strict=True):
                out.append(timed(fn, 1, warmup=1)[0])
    return statistics.median(times[0]), statistics.median(times[1])


def synthetic_hypergraph(n=55_000, m=55_000, f=100, c=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    sizes = torch.randint(2, 11, (m,), generator=g)
    members = torch.randint(0, n, (int(sizes.sum()),), generator=g)
    edges = torch.repeat_interleave(torch.arange(m), sizes)
    key = torch.unique(edges * n + members)
    from torch_geometric.data import Data
    d = Data(x=torch.randn(n, f, generator=g), y=torch.randint(0, c, (n,), generator=g),
             hyperedge_index=torch.stack([key % n, key // n]), num_nodes=n)
    d.num_hyperedges = m
    return d


def synthetic_graph(n=100_000, avg_degree=10, f=100, c=10, seed=0):
    from torch_geometric.data import Data
    from torch_geometric.utils import to_undirected
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, n * avg_degree // 2), generator=g)
    ei = to_undirected(ei[:, ei[0] != ei[1]], num_nodes=n)
    return Data(x=torch.randn(n, f, generator=g), y=torch.randint(0, c, (n,), generator=g), edge_index=ei,
                num_nodes=n)


def _show(*row):
    data, pair, what, t, s = row
    print(f"# {data} | {pair} | {what}: teacher {1e3 * t:.2f} ms, student {1e3 * s:.3f} ms, {t / s:.1f}x",
          file=sys.stderr, flush=True)
    return row


def hyper_khop(d, nodes, hops=2):
    keep = torch.zeros(d.num_nodes, dtype=torch.bool)
    keep[nodes] = True
    v, e = d.hyperedge_index
    for _ in range(hops):
        touched = torch.zeros(d.num_hyperedges, dtype=torch.bool)
        touched[e[keep[v]]] = True
        keep[v[touched[e]]] = True
    return keep


def dhg_reference(d, f, c):
    """DHG's HGNN (hidden 32, the official LightHGNN teacher) on ``d``'s hypergraph, or None without dhg."""
    try:
        import dhg
        from dhg.models import HGNN as DHGHGNN
    except ImportError:
        print("skipping the DHG reference: dhg is not installed", file=sys.stderr)
        return None
    v, e = d.hyperedge_index
    order = torch.argsort(e, stable=True)
    counts = torch.bincount(e, minlength=d.num_hyperedges).tolist()
    e_list = [members.tolist() for members in torch.split(v[order], counts) if len(members)]
    hg, model = dhg.Hypergraph(d.num_nodes, e_list), DHGHGNN(f, 32, c).eval()
    return lambda: model(d.x, hg)


def hyper_cases(name, d, reps, nodes):
    d = prepare_hypergraph(d, train_per_class=0, val_per_class=0) if not hasattr(d, "val_mask") else d
    f, c = d.x.size(1), int(d.y.max()) + 1
    student = LightHGNN(f, c).eval()  # forward = the MLP student (hidden 128); .teacher = HGNN (hidden 32)
    teacher = student.teacher

    def teacher_10():
        keep = hyper_khop(d, nodes)
        sub = restrict_hypergraph(d, keep)
        return teacher(sub.x, sub.hyperedge_index, sub.num_hyperedges)

    rows = [_show(name, "LightHGNN vs HGNN", "full graph",
                  *paired_medians(lambda: teacher(d.x, d.hyperedge_index, d.num_hyperedges), lambda: student(d.x),
                                  reps)),
            _show(name, "LightHGNN vs HGNN", "10 nodes",
                  *paired_medians(teacher_10, lambda: student(d.x[nodes]), reps))]
    reference = dhg_reference(d, f, c)
    if reference is not None:
        rows.append(_show(name, "LightHGNN vs DHG's HGNN", "full graph",
                          *paired_medians(reference, lambda: student(d.x), reps)))
    return rows


def graph_cases(name, d, reps, nodes):
    f, c = d.x.size(1), int(d.y.max()) + 1
    glnn, vq = GLNN(f, c).eval(), VQGraph(f, c).eval()  # forward = the MLP student
    rows = []
    for label, teacher, student in (("GLNN vs SAGE", glnn.teacher, glnn), ("VQGraph vs VQ tokenizer", vq.tokenizer, vq)):
        def teacher_10(teacher=teacher):
            subset, ei, _, _ = k_hop_subgraph(nodes, 2, d.edge_index, relabel_nodes=True, num_nodes=d.num_nodes)
            return teacher(d.x[subset], ei)

        rows.append(_show(name, label, "full graph", *paired_medians(
            lambda t=teacher: t(d.x, d.edge_index), lambda s=student: s(d.x), reps)))
        rows.append(_show(name, label, "10 nodes", *paired_medians(
            teacher_10, lambda s=student: s(d.x[nodes]), reps)))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--quick", action="store_true", help="small synthetic sizes, 3 reps (smoke test)")
    p.add_argument("--data-root", default=None)
    p.add_argument("--out", default=None, help="write the markdown table here as well")
    args = p.parse_args(argv)
    reps = 3 if args.quick else args.reps
    scale = 0.02 if args.quick else 1.0
    gen = torch.Generator().manual_seed(0)
    rows = []
    hg = synthetic_hypergraph(n=int(55_000 * scale), m=int(55_000 * scale))
    rows += hyper_cases(f"synthetic hypergraph ({hg.num_nodes:,} vertices)", hg, reps,
                        torch.randperm(hg.num_nodes, generator=gen)[:10])
    gr = synthetic_graph(n=int(100_000 * scale))
    rows += graph_cases(f"synthetic graph ({gr.num_nodes:,} nodes)", gr, reps,
                        torch.randperm(gr.num_nodes, generator=gen)[:10])
    if not args.quick:
        for name, kind in (("cocitation-cora", "hyper"), ("cora", "graph"), ("amazon-computers", "graph")):
            try:
                d = datasets.load(name, root=args.data_root)
            except (FileNotFoundError, ValueError) as exc:
                print(f"skipping {name}: {exc}", file=sys.stderr)
                continue
            nodes = torch.randperm(d.num_nodes, generator=gen)[:10]
            rows += hyper_cases(name, d, reps, nodes) if kind == "hyper" else graph_cases(name, d, reps, nodes)
    t = threads()
    lines = [f"CPU threads: {t['torch_threads']} (OMP_NUM_THREADS={t['OMP_NUM_THREADS']}), torch {torch.__version__}, "
             f"median of {reps} alternating warm rounds",
             "", "| data | student vs teacher | nodes | teacher ms | student ms | speed-up |", "|---|---|---|---|---|---|"]
    for data, pair, what, t, s in rows:
        lines.append(f"| {data} | {pair} | {what} | {1e3 * t:.2f} | {1e3 * s:.3f} | {t / s:.1f}× |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return rows


if __name__ == "__main__":
    main()
