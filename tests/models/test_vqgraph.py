import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.utils import to_undirected

from graphkit.models.registry import get_model
from graphkit.models.vqgraph import GLNN, VQGraph, VQGraphTokenizer, prepare_graph, restrict_graph


def planted_graph(n=90, c=3, f=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % c
    x = torch.randn(n, f, generator=g) + 2.5 * torch.nn.functional.one_hot(y, f).float()
    src = torch.randint(0, n, (400,), generator=g)
    dst = torch.randint(0, n, (400,), generator=g)
    same = (y[src] == y[dst]) & (src != dst)
    ei = to_undirected(torch.stack([src[same], dst[same]]), num_nodes=n)
    ring = torch.stack([torch.arange(n), (torch.arange(n) + c) % n])  # connects each class, keeps the LCC whole
    ring2 = torch.stack([torch.arange(n), (torch.arange(n) + 1) % n])
    return Data(x=x, y=y, edge_index=to_undirected(torch.cat([ei, ring, ring2], 1), num_nodes=n), num_nodes=n)


CFG = {"epochs": 30, "train_per_class": 5, "val_per_class": 5, "num_codes": 32, "code_dim": 16,
       "teacher_hidden": 16, "hidden_channels": 32}


@pytest.mark.parametrize(("cls", "setting"), [(VQGraph, "transductive"), (GLNN, "inductive")])
def test_fit(cls, setting):
    data = planted_graph()
    student, result = cls.fit(data, {**CFG, "setting": setting}, seed=0)
    assert isinstance(student, cls)
    key = "test_tran_accuracy" if setting == "inductive" else "test_accuracy"
    assert result.metrics[key] > 0.55  # chance is 1/3
    if setting == "inductive":
        assert {"test_ind_accuracy", "test_prod_accuracy", "teacher_test_ind_accuracy"} <= set(result.metrics)


def test_tokenizer_losses_and_student_shapes():
    data = planted_graph()
    tok = VQGraphTokenizer(12, 16, 3, code_dim=8, num_codes=16, edge_batch=64)
    tok.train()
    logits, aux = tok(data.x, data.edge_index)
    assert logits.shape == (90, 3) and aux.dim() == 0 and float(aux.detach()) > 0
    aux.backward()
    assert tok.node_decoder.weight.grad is not None and tok.edge_decoder.weight.grad is not None
    tok.eval()
    assert tok(data.x, data.edge_index)[1] is None
    logits, proj = VQGraph(12, 32, 3, code_dim=8)(data.x)
    assert logits.shape == (90, 3) and proj.shape == (90, 8)
    with pytest.raises(ValueError, match="encoder"):
        VQGraphTokenizer(12, 16, 3, encoder="gat")


def test_prepare_lcc_split_and_restrict():
    data = planted_graph()
    iso = Data(x=torch.cat([data.x, torch.randn(2, 12)]), y=torch.cat([data.y, torch.tensor([0, 1])]),
               edge_index=data.edge_index, num_nodes=92)
    g = prepare_graph(iso, train_per_class=5, val_per_class=5)
    assert g.num_nodes == 90  # the two isolated nodes are outside the LCC
    assert int(g.train_mask.sum()) == 15 and int(g.val_mask.sum()) == 15
    sub = restrict_graph(g, torch.arange(90) < 45)
    assert sub.num_nodes == 45 and int(sub.edge_index.max()) < 45
    with pytest.raises(ValueError, match="data.edge_index"):
        prepare_graph(Data(x=torch.randn(3, 2), y=torch.tensor([0, 1, 0]), edge_index=torch.tensor([[0], [5]])))
    assert get_model("vqgraph").fit is not None and get_model("glnn").fit is not None
