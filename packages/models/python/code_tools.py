"""Trusted helper for the models package: parses and unparses Python, never executes it.

Reads one JSON request on stdin, writes one JSON reply on stdout.

  {"op": "mutate", "items": [{"id": str, "code": str, "seed": int, "max": int}]}
    -> {"items": [{"id": str, "mutants": [{"operator": str, "description": str, "code": str}], "error": str?}]}
  {"op": "outline", "items": [{"id": str, "code": str}]}
    -> {"items": [{"id": str, "structure": [str], "refinements": [[str]], "error": str?}]}

Mutants are deterministic by seed; those that do not compile or equal the reference
(after unparsing) are discarded.
"""
import ast
import copy
import json
import random
import sys

COMPARE_SWAPS = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
ARITH_SWAPS = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult,
    ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd, ast.LShift: ast.RShift, ast.RShift: ast.LShift,
}
BOOL_SWAPS = {ast.And: ast.Or, ast.Or: ast.And}


def sites(tree):
    """Every (operator, node path) where a mutation applies, in a stable order."""
    found = []
    for i, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.Compare):
            for j, op in enumerate(node.ops):
                if type(op) in COMPARE_SWAPS:
                    found.append(("compare_swap", i, j))
        elif isinstance(node, (ast.BinOp, ast.AugAssign)):
            if type(node.op) in ARITH_SWAPS:
                found.append(("arith_swap", i, 0))
        elif isinstance(node, ast.BoolOp):
            if type(node.op) in BOOL_SWAPS:
                found.append(("bool_swap", i, 0))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            found.append(("off_by_one", i, 1))
            found.append(("off_by_one", i, -1))
        if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            found.append(("negate_condition", i, 0))
        if isinstance(node, ast.Call) and len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args[:2]):
            found.append(("swap_arguments", i, 0))
        for field in ("body", "orelse"):
            body = getattr(node, field, None)
            if isinstance(body, list) and len(body) >= 2:
                for j, stmt in enumerate(body):
                    if not isinstance(stmt, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
                        found.append(("drop_statement", i, (field, j)))
    return found


def apply(tree, site):
    operator, index, arg = site
    tree = copy.deepcopy(tree)
    node = list(ast.walk(tree))[index]
    if operator == "compare_swap":
        old = node.ops[arg]
        node.ops[arg] = COMPARE_SWAPS[type(old)]()
        return f"{type(old).__name__} -> {type(node.ops[arg]).__name__} at line {node.lineno}", tree
    if operator == "arith_swap":
        old = node.op
        node.op = ARITH_SWAPS[type(old)]()
        return f"{type(old).__name__} -> {type(node.op).__name__} at line {node.lineno}", tree
    if operator == "bool_swap":
        old = node.op
        node.op = BOOL_SWAPS[type(old)]()
        return f"{type(old).__name__} -> {type(node.op).__name__} at line {node.lineno}", tree
    if operator == "off_by_one":
        old = node.value
        node.value = old + arg
        return f"{old} -> {node.value} at line {node.lineno}", tree
    if operator == "negate_condition":
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
        return f"negated condition at line {node.lineno}", tree
    if operator == "swap_arguments":
        node.args[0], node.args[1] = node.args[1], node.args[0]
        return f"swapped first two arguments at line {node.lineno}", tree
    if operator == "drop_statement":
        field, j = arg
        body = getattr(node, field)
        line = body[j].lineno
        del body[j]
        return f"dropped statement at line {line}", tree
    raise ValueError(operator)


def mutate(item):
    code = item["code"]
    tree = ast.parse(code)
    reference = ast.unparse(tree)
    all_sites = sites(tree)
    rng = random.Random(item.get("seed", 0))
    rng.shuffle(all_sites)
    seen = {reference, code}
    mutants = []
    for site in all_sites:
        if len(mutants) >= item.get("max", 8):
            break
        try:
            description, mutated = apply(tree, site)
            text = ast.unparse(ast.fix_missing_locations(mutated))
            compile(text, "<mutant>", "exec")
        except Exception:
            continue
        if text in seen:
            continue
        seen.add(text)
        mutants.append({"operator": site[0], "description": description, "code": text})
    return {"id": item["id"], "mutants": mutants}


def expr(node):
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def pseudo(stmts, depth, max_depth, indent=0):
    """Pseudocode lines for statements, nesting down to max_depth."""
    pad = "  " * indent
    lines = []
    for s in stmts:
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = ", ".join(a.arg for a in s.args.args)
            lines.append(f"{pad}FUNCTION {s.name}({args})")
            if depth < max_depth:
                lines += pseudo(s.body, depth + 1, max_depth, indent + 1)
        elif isinstance(s, ast.ClassDef):
            lines.append(f"{pad}CLASS {s.name}")
            if depth < max_depth:
                lines += pseudo(s.body, depth + 1, max_depth, indent + 1)
        elif isinstance(s, (ast.For, ast.AsyncFor)):
            lines.append(f"{pad}FOR EACH {expr(s.target)} IN {expr(s.iter)}")
            if depth < max_depth:
                lines += pseudo(s.body, depth + 1, max_depth, indent + 1)
        elif isinstance(s, ast.While):
            lines.append(f"{pad}WHILE {expr(s.test)}")
            if depth < max_depth:
                lines += pseudo(s.body, depth + 1, max_depth, indent + 1)
        elif isinstance(s, ast.If):
            lines.append(f"{pad}IF {expr(s.test)}")
            if depth < max_depth:
                lines += pseudo(s.body, depth + 1, max_depth, indent + 1)
                if s.orelse:
                    lines.append(f"{pad}OTHERWISE")
                    lines += pseudo(s.orelse, depth + 1, max_depth, indent + 1)
        elif isinstance(s, ast.Try):
            lines.append(f"{pad}TRY")
            if depth < max_depth:
                lines += pseudo(s.body, depth + 1, max_depth, indent + 1)
        elif isinstance(s, ast.With):
            lines.append(f"{pad}WITH {', '.join(expr(i.context_expr) for i in s.items)}")
            if depth < max_depth:
                lines += pseudo(s.body, depth + 1, max_depth, indent + 1)
        elif isinstance(s, ast.Return):
            lines.append(f"{pad}RETURN {expr(s.value) if s.value is not None else 'nothing'}")
        elif isinstance(s, ast.Assign):
            lines.append(f"{pad}SET {', '.join(expr(t) for t in s.targets)} TO {expr(s.value)}")
        elif isinstance(s, ast.AugAssign):
            lines.append(f"{pad}UPDATE {expr(s.target)} WITH {type(s.op).__name__} {expr(s.value)}")
        elif isinstance(s, (ast.Import, ast.ImportFrom)):
            lines.append(f"{pad}USE {', '.join(a.name for a in s.names)}")
        elif isinstance(s, ast.Expr):
            if not (isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)):
                lines.append(f"{pad}DO {expr(s.value)}")
        elif isinstance(s, (ast.Break, ast.Continue, ast.Pass)):
            lines.append(f"{pad}{type(s).__name__.upper()}")
        else:
            lines.append(f"{pad}{type(s).__name__.upper()} {expr(s)}")
    return lines


def outline(item):
    tree = ast.parse(item["code"])
    structure = ["Inputs and outputs:"]
    funcs = [s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for f in funcs:
        args = ", ".join(a.arg for a in f.args.args)
        structure.append(f"- FUNCTION {f.name}({args}) returns the answer")
    if not funcs:
        structure.append("- read the input from stdin, print the answer to stdout")
    structure.append("Outline:")
    structure += ["  " + line for line in pseudo(tree.body, 0, 1)]
    refinements = [pseudo(tree.body, 0, 2), pseudo(tree.body, 0, 99)]
    if refinements[0] == refinements[1]:
        refinements = refinements[:1]
    return {"id": item["id"], "structure": structure, "refinements": refinements}


def safe(fn, item):
    try:
        return fn(item)
    except Exception as e:  # a reference that does not parse
        return {"id": item["id"], "error": f"{type(e).__name__}: {e}", "mutants": [], "structure": [], "refinements": []}


def main():
    request = json.load(sys.stdin)
    fn = {"mutate": mutate, "outline": outline}[request["op"]]
    json.dump({"items": [safe(fn, item) for item in request["items"]]}, sys.stdout)


if __name__ == "__main__":
    main()
