"""Real editors take a next-edit suggestion from `assistant lsp` with the shipped plugins:
headless Neovim 0.11 (editors/nvim) and Emacs eglot (editors/emacs)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.testing import ScriptedServer
from tests.lsp_support import APP, TAX, emacs, make_repo, neovim, server_command, server_env

EDITORS = Path(__file__).resolve().parents[1] / "editors"
HEADER = "def tax_for(amount, rate=0.2):"


def block(path: str, search: str, replace: str) -> str:
    """Return the model's answer: the path, then one search/replace block."""
    return f"{path}\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE"


@dataclass(frozen=True)
class Case:
    """The user's new first line of shop/tax.py, the model's answer, where it lands."""

    header: str
    answer: str
    path: str  # the file the suggestion edits
    expected: str  # that file afterwards
    cursor: str  # 1-based line and 0-based column of the suggestion's start
    hint: str  # the Neovim hint shown when the suggestion arrived


RETURN = "    return round(amount * rate, 2)"
IMPORT = "from shop.tax import tax_for"
SAME_FILE = Case(
    header="def tax_for(total, rate=0.2):",
    answer=block("shop/tax.py", RETURN, RETURN.replace("amount", "total")),
    path="shop/tax.py",
    expected=TAX.replace("amount, rate", "total, rate").replace("(amount *", "(total *"),
    cursor="3 17",  # `amount` in the return line
    hint="2 next edit: total",  # at the line it changes
)
OTHER_FILE = Case(
    header="def tax_on(amount, rate=0.2):",
    answer=block("shop/app.py", IMPORT, IMPORT.replace("tax_for", "tax_on")),
    path="shop/app.py",
    expected=APP.replace(IMPORT, IMPORT.replace("tax_for", "tax_on")),
    cursor="2 25",  # `for` of `tax_for` in the import
    hint="0 next edit in ",  # app.py is not open: at the cursor, with the file's name
)
CASES = pytest.mark.parametrize("case", [SAME_FILE, OTHER_FILE], ids=["same-file", "other-file"])

SCRIPT = r"""
local repo, cmd, plugin, header = _G.arg[1], vim.json.decode(_G.arg[2]), _G.arg[3], _G.arg[4]
vim.opt.runtimepath:prepend(plugin)
local next_edit = require("assistant.next_edit")
next_edit.setup({ key = "<M-n>" })
local hints = {}
local show = vim.lsp.handlers["assistant/nextEditReady"]
vim.lsp.handlers["assistant/nextEditReady"] = function(err, result, ctx, config)
  show(err, result, ctx, config)
  local marks = vim.api.nvim_buf_get_extmarks(0, next_edit.ns, 0, -1, { details = true })
  for _, mark in ipairs(marks) do
    table.insert(hints, ("%d %s"):format(mark[2], mark[4].virt_text[1][1]))
  end
end

vim.cmd.edit(repo .. "/shop/tax.py")
local buf = vim.api.nvim_get_current_buf()
local ready = false
local id = vim.lsp.start({
  name = "assistant", cmd = cmd, root_dir = repo,
  init_options = { assistant = { completion = { debounceMs = 0 }, nextEdit = { debounceMs = 0 } } },
  handlers = {
    ["window/logMessage"] = function(_, result)
      if result.message:find("index ready") then ready = true end
    end,
  },
}, { bufnr = buf })
assert(id, "the client did not start")
assert(vim.wait(20000, function() return ready end, 50), "the index never became ready")

vim.api.nvim_buf_set_lines(buf, 0, 1, false, { header })
assert(next_edit.accept(buf, 20000), "no next edit arrived")
local cursor = vim.api.nvim_win_get_cursor(0)
local left = #vim.api.nvim_buf_get_extmarks(buf, next_edit.ns, 0, -1, {})
io.stdout:write("FILE " .. vim.fn.fnamemodify(vim.api.nvim_buf_get_name(0), ":t") .. "\n")
io.stdout:write(("CURSOR %d %d\n"):format(cursor[1], cursor[2]))
io.stdout:write("HINTS " .. table.concat(hints, "|") .. "\n")
io.stdout:write(("HINTS LEFT %d\n"):format(left))
io.stdout:write(("MAPPED %s\n"):format(vim.fn.maparg("<M-n>", "n") ~= ""))
io.stdout:write("EDITED " .. vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1] .. "\n")
io.stdout:write("BUFFER\n" .. table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n"))
vim.lsp.stop_client(id)
vim.cmd("qall!")
"""

ELISP = r"""
(require 'eglot)
(require 'json)
(defun assistant-test--wait (predicate seconds)
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (funcall predicate)))
(condition-case err
    (let* ((repo (nth 0 command-line-args-left))
           (command (append (json-read-from-string (nth 1 command-line-args-left)) nil))
           (header (nth 3 command-line-args-left))
           (options '(:initializationOptions
                      (:assistant (:completion (:debounceMs 0) :nextEdit (:debounceMs 0)))))
           (contact (append command options))
           (edited nil))
      (add-to-list 'load-path (nth 2 command-line-args-left))
      (require 'assistant-next-edit)
      (find-file (expand-file-name "shop/tax.py" repo))
      (setq edited (current-buffer))
      (python-mode)
      (eglot '(python-mode) (project-current nil repo) 'eglot-lsp-server contact "python")
      (unless (assistant-test--wait #'eglot-current-server 30)
        (error "eglot did not connect"))
      (let ((events (jsonrpc-events-buffer (eglot-current-server))))
        (unless (assistant-test--wait
                 (lambda () (with-current-buffer events
                              (save-excursion (goto-char (point-min))
                                              (search-forward "index ready" nil t))))
                 30)
          (error "the index never became ready")))
      (goto-char (point-min))
      (delete-region (point) (line-end-position))
      (insert header)
      (let ((assistant-next-edit-timeout 20))
        (unless (assistant-next-edit-accept) (error "no next edit arrived")))
      (princ (format "FILE %s\n" (file-name-nondirectory (buffer-file-name))))
      (princ (format "CURSOR %d %d\n" (line-number-at-pos) (current-column)))
      (princ (format "EDITED %s\n" (with-current-buffer edited
                                     (save-excursion
                                       (goto-char (point-min))
                                       (buffer-substring-no-properties
                                        (point) (line-end-position))))))
      (princ (format "BUFFER\n%s" (buffer-substring-no-properties (point-min) (point-max))))
      (kill-emacs 0))
  (error (princ (format "FAILED %S\n" err)) (kill-emacs 1)))
"""


def check_session(output: str, repo: Path, case: Case) -> None:
    """Check what an editor printed: where the cursor went, both files' text, nothing saved."""
    assert f"FILE {Path(case.path).name}\n" in output
    assert f"CURSOR {case.cursor}\n" in output
    assert f"EDITED {case.header}\n" in output
    assert output.split("BUFFER\n", 1)[1].rstrip("\n") == case.expected.rstrip("\n")
    assert (repo / "shop" / "tax.py").read_text() == TAX  # the editor holds the changes, unsaved
    assert (repo / "shop" / "app.py").read_text() == APP


def check_request(model: ScriptedServer, case: Case) -> None:
    """Check that the model was asked with the user's edit shown as a diff."""
    shown = [json.dumps(request.body["messages"]) for request in model.chat_requests]
    assert any(f"-{HEADER}" in s and f"+{case.header}" in s for s in shown), shown


@CASES
def test_neovim_accepts_the_next_edit_with_the_shipped_module(
    tmp_path: Path, scripted_server, case: Case
) -> None:
    model = scripted_server({"turns": [{"text": case.answer}] * 4})
    repo = make_repo(tmp_path / "repo")
    (tmp_path / "script.lua").write_text(SCRIPT)
    env = {**server_env(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    command = json.dumps(server_command(repo, model.base_url))
    nvim = [str(neovim()), "--headless", "-u", "NONE", "-i", "NONE", "-n"]
    script = [str(tmp_path / "script.lua"), str(repo), command, str(EDITORS / "nvim"), case.header]
    run = subprocess.run(
        [*nvim, "-l", *script], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr + run.stdout
    check_session(run.stdout, repo, case)
    assert f"HINTS {case.hint}" in run.stdout  # shown when the suggestion arrived
    assert "HINTS LEFT 0\n" in run.stdout  # and gone once it was accepted
    assert "MAPPED true\n" in run.stdout
    check_request(model, case)


@CASES
def test_emacs_eglot_accepts_the_next_edit_with_the_shipped_command(
    tmp_path: Path, scripted_server, case: Case
) -> None:
    program = emacs()
    model = scripted_server({"turns": [{"text": case.answer}] * 4})
    repo = make_repo(tmp_path / "repo")
    (tmp_path / "test.el").write_text(ELISP)
    env = {**server_env(tmp_path), "HOME": str(tmp_path)}
    command = json.dumps(server_command(repo, model.base_url))
    script = [str(tmp_path / "test.el"), str(repo), command, str(EDITORS / "emacs"), case.header]
    run = subprocess.run(
        [program, "--batch", "-l", *script],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr[:3000]
    check_session(run.stdout, repo, case)
    line = int(case.cursor.split()[0])
    assert f"assistant: next edit ready at {Path(case.path).name}:{line}" in run.stderr
    check_request(model, case)
