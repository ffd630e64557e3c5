"""Real editors run `assistant lsp`: headless Neovim 0.11 and Emacs eglot complete, then edit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from assistant.testing import call, edit, turns
from tests.lsp_support import APP, emacs, make_repo, neovim, server_command, server_env

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

ELISP = r"""
(require 'eglot)
(require 'json)
(setq eglot-confirm-server-initiated-edits nil)
(defun assistant-test--wait (predicate seconds)
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (funcall predicate)))
(condition-case err
    (let* ((repo (nth 0 command-line-args-left))
           (command (append (json-read-from-string (nth 1 command-line-args-left)) nil))
           (options '(:initializationOptions (:assistant (:completion (:debounceMs 0)))))
           (contact (append command options)))
      (find-file (expand-file-name "shop/app.py" repo))
      (python-mode)
      (eglot '(python-mode) (project-current nil repo) 'eglot-lsp-server contact "python")
      (unless (assistant-test--wait #'eglot-current-server 30)
        (error "eglot did not connect"))
      (let* ((server (eglot-current-server))
             (events (jsonrpc-events-buffer server)))
        (unless (assistant-test--wait
                 (lambda () (with-current-buffer events
                              (save-excursion (goto-char (point-min))
                                              (search-forward "index ready" nil t))))
                 30)
          (error "the index never became ready"))
        (goto-char (point-min)) (forward-line 6) (move-to-column 22)
        (let* ((capf (eglot-completion-at-point))
               (candidates (all-completions "" (nth 2 capf))))
          (princ (format "COMPLETION %s\n" (car candidates))))
        (let* ((actions (jsonrpc-request server :textDocument/codeAction
                                         (list :textDocument (eglot--TextDocumentIdentifier)
                                               :range (list :start (list :line 4 :character 0)
                                                            :end (list :line 6 :character 0))
                                               :context (list :diagnostics []))))
               (chosen (seq-find (lambda (a)
                                   (equal (plist-get a :title) "Assistant: Add docstrings"))
                                 actions))
               (command (plist-get chosen :command)))
          (unless chosen (error "no docstring action in %S" actions))
          (eglot-execute-command server (plist-get command :command)
                                 (plist-get command :arguments)))
        (princ (format "BUFFER\n%s" (buffer-substring-no-properties (point-min) (point-max))))
        (kill-emacs 0)))
  (error (princ (format "FAILED %S\n" err)) (kill-emacs 1)))
"""

DOCSTRING = '    """Add the tax to the cart\'s total."""\n'


HEADER = "def checkout(cart: Cart):\n"


def script_for_editor() -> dict:
    """Return the model's script: one completion, then an agent adding a docstring."""
    script = turns(
        call("read_file", path="shop/app.py"),
        edit("shop/app.py", HEADER, HEADER + DOCSTRING),
        text="Added a docstring to checkout.",
    )
    return {"completions": [{"text": "tax_for(subtotal)"}], **script}


def check_session(output: str, repo: Path, prompt: str) -> None:
    """Check what an editor session printed: the completion, then the edited buffer."""
    assert "COMPLETION tax_for(subtotal)" in output
    buffer = output.split("BUFFER\n", 1)[1]
    assert buffer.rstrip("\n") == APP.replace(HEADER, HEADER + DOCSTRING).rstrip("\n")
    assert (repo / "shop" / "app.py").read_text() == APP  # the editor holds the change, unsaved
    assert "<|file_sep|>shop/tax.py\ndef tax_for(amount, rate=0.2):" in prompt


def test_neovim_gets_a_completion_and_applies_a_code_action(tmp_path: Path, scripted_server):
    model = scripted_server(script_for_editor())
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
    check_session(run.stdout, repo, model.completion_requests[0].body["prompt"])


def test_emacs_eglot_gets_a_completion_and_applies_a_code_action(tmp_path: Path, scripted_server):
    program = emacs()
    model = scripted_server(script_for_editor())
    repo = make_repo(tmp_path / "repo")
    (tmp_path / "test.el").write_text(ELISP)
    env = {**server_env(tmp_path), "HOME": str(tmp_path)}
    command = json.dumps(server_command(repo, model.base_url))
    run = subprocess.run(
        [program, "--batch", "-l", str(tmp_path / "test.el"), str(repo), command],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr[:3000]
    check_session(run.stdout, repo, model.completion_requests[0].body["prompt"])
