-- A headless check of dockopt.lua: nvim --headless --clean -u check.lua Dockerfile
-- Attaches the server the way dockopt.lua says, then prints the diagnostics, the code actions on
-- the first one, and whether formatting gives `dockopt rewrite -`'s output; exits 0 or 1.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)")
vim.opt.runtimepath:prepend(here)
if vim.env.DOCKOPT then  -- a dockopt that is not on PATH (e.g. a virtualenv's)
  vim.env.PATH = vim.fs.dirname(vim.env.DOCKOPT) .. ":" .. vim.env.PATH
end
dofile(here .. "dockopt.lua")

local function out(line) io.stdout:write(line .. "\n") end
local function fail(why) out("FAILED " .. why); vim.cmd("cquit 1") end

vim.api.nvim_create_autocmd("VimEnter", { callback = function()
  local buf = vim.api.nvim_get_current_buf()
  out("nvim " .. tostring(vim.version()) .. ", filetype " .. vim.bo[buf].filetype)
  local started = vim.loop.hrtime()
  if not vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 20) then
    return fail("no diagnostics within 20 s")
  end
  out(string.format("diagnostics %d ms after the buffer was opened:", (vim.loop.hrtime() - started) / 1e6))
  local diags = vim.diagnostic.get(buf)
  table.sort(diags, function(a, b) return a.lnum < b.lnum end)
  for _, d in ipairs(diags) do
    out(string.format("  %d:%d-%d:%d %s %s [%s] %s", d.lnum + 1, d.col + 1, d.end_lnum + 1, d.end_col + 1,
      vim.diagnostic.severity[d.severity], d.source, d.code, d.message))
  end
  local client = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = buf })[1] or vim.lsp.get_active_clients({ bufnr = buf })[1]
  local first = diags[1]
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = first.lnum, character = first.col }, ["end"] = { line = first.end_lnum, character = first.end_col } },
    context = { diagnostics = { first.user_data.lsp } },
  }
  local answer = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, 10000)
  answer = answer and answer[client.id]
  if not answer or answer.err then return fail("codeAction: " .. vim.inspect(answer)) end
  out("code actions on line " .. (first.lnum + 1) .. ":")
  for _, action in ipairs(answer.result or {}) do out("  " .. action.title .. " (" .. action.kind .. ")") end
  local before = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
  local expected = vim.fn.system({ "dockopt", "rewrite", "--quiet", "--stdin-filename", vim.api.nvim_buf_get_name(buf), "-" }, before)
  vim.lsp.buf.format({ bufnr = buf, timeout_ms = 10000 })
  local after = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
  if after ~= expected then
    local path = vim.fn.getcwd() .. "/dockopt-check"
    vim.fn.writefile(vim.split(after, "\n"), path .. ".buffer")
    vim.fn.writefile(vim.split(expected, "\n"), path .. ".expected")
    return fail("formatting differs from dockopt rewrite -: diff " .. path .. ".buffer " .. path .. ".expected")
  end
  out("formatting: the buffer now equals `dockopt rewrite -`'s output (" .. #vim.split(after, "\n") - 1 .. " lines)")
  vim.cmd("qall!")
end })
