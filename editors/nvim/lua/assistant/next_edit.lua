-- Next-edit suggestions from `assistant lsp` for Neovim 0.11+.
--
-- Add the `editors/nvim` folder of the assistant's checkout to 'runtimepath', then:
--
--   require("assistant.next_edit").setup({ key = "<M-n>" })
--
-- The server sends `assistant/nextEditReady` when it has a suggestion: it is shown as a
-- virtual-text hint at the end of the line it changes. The key asks the server for the
-- suggestion (`assistant/nextEdit`, waiting for one being computed), jumps to it, in another
-- file if need be, and applies it (undo takes it back).

local M = {}

M.ns = vim.api.nvim_create_namespace("assistant.next_edit")

local CLIENT = "assistant"
local hinted = {} -- buffers showing a hint

local function client_for(bufnr)
  return vim.lsp.get_clients({ name = CLIENT, bufnr = bufnr })[1]
end

local function first_line(text)
  local line = vim.trim(text):match("^[^\n]*")
  return line ~= "" and line or "(delete)"
end

local function loaded_buffer(fname)
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.api.nvim_buf_get_name(bufnr) == fname then
      return bufnr
    end
  end
end

--- Remove the hint from every buffer.
function M.clear()
  for bufnr in pairs(hinted) do
    if vim.api.nvim_buf_is_valid(bufnr) then
      vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
    end
  end
  hinted = {}
end

--- Show `suggestion` as a hint at the end of the line it changes; when its file is not
--- loaded, at the cursor's line of the current buffer, with the file's name.
function M.show(suggestion)
  M.clear()
  local fname = vim.uri_to_fname(suggestion.uri)
  local target = loaded_buffer(fname)
  local line, text = suggestion.range.start.line, "next edit: " .. first_line(suggestion.newText)
  if not target then
    target, line = vim.api.nvim_get_current_buf(), vim.api.nvim_win_get_cursor(0)[1] - 1
    local where = vim.fn.fnamemodify(fname, ":~:.")
    text = ("next edit in %s:%d"):format(where, suggestion.range.start.line + 1)
  end
  line = math.min(line, vim.api.nvim_buf_line_count(target) - 1)
  vim.api.nvim_buf_set_extmark(target, M.ns, line, 0, {
    virt_text = { { text, "Comment" } },
    virt_text_pos = "eol",
  })
  hinted[target] = true
end

--- Ask the server for the suggestion that follows the edits of `bufnr` (0: the current
--- buffer), waiting up to `timeout_ms` (default 5000) for one being computed.
--- Returns the suggestion `{uri, range, newText, oldText}` and the client, or nil.
function M.fetch(bufnr, timeout_ms)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client = client_for(bufnr)
  if not client then
    return nil
  end
  local win = vim.fn.bufwinid(bufnr)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = 0, character = 0 },
  }
  if win ~= -1 then -- the cursor of a window showing it
    params = vim.lsp.util.make_position_params(win, client.offset_encoding)
  end
  local response = client:request_sync("assistant/nextEdit", params, timeout_ms or 5000, bufnr)
  local result = response and response.result
  if result == nil or result == vim.NIL then
    return nil
  end
  return result, client
end

--- Move the cursor to the start of `suggestion`, opening its file if it is another buffer.
--- `offset_encoding` is the client's (default "utf-16").
function M.jump(suggestion, offset_encoding)
  local location = { uri = suggestion.uri, range = suggestion.range }
  local opts = { focus = true, reuse_win = true }
  vim.lsp.util.show_document(location, offset_encoding or "utf-16", opts)
end

--- Fetch the suggestion for `bufnr` (0: the current buffer), jump to it and apply it.
--- Returns true when an edit was applied.
function M.accept(bufnr, timeout_ms)
  local suggestion, client = M.fetch(bufnr, timeout_ms)
  if not suggestion then
    vim.notify("assistant: no next edit", vim.log.levels.INFO)
    return false
  end
  M.jump(suggestion, client.offset_encoding)
  local target = vim.uri_to_bufnr(suggestion.uri)
  local edit = { range = suggestion.range, newText = suggestion.newText }
  vim.lsp.util.apply_text_edits({ edit }, target, client.offset_encoding)
  M.clear()
  return true
end

--- Register the `assistant/nextEditReady` handler (shows the hint), drop the hint when you
--- type, and map `opts.key` (default "<M-n>", false: no mapping) in `opts.modes`
--- (default { "n", "i" }) to `accept`.
function M.setup(opts)
  opts = opts or {}
  vim.lsp.handlers["assistant/nextEditReady"] = function(_, result)
    if result then
      M.show(result)
    end
  end
  vim.api.nvim_create_autocmd({ "TextChanged", "TextChangedI" }, {
    group = vim.api.nvim_create_augroup("assistant.next_edit", { clear = true }),
    callback = function()
      M.clear()
    end,
  })
  local key = opts.key == nil and "<M-n>" or opts.key
  if key then
    vim.keymap.set(opts.modes or { "n", "i" }, key, function()
      M.accept(0)
    end, { desc = "Accept the assistant's next-edit suggestion" })
  end
end

return M
