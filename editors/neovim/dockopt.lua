-- dockopt's language server for Dockerfiles (Neovim 0.8 or later).
-- Put this file in ~/.config/nvim/plugin/ (or paste it into init.lua).
vim.api.nvim_create_autocmd("FileType", {
  pattern = "dockerfile",
  callback = function(args)
    local file = vim.api.nvim_buf_get_name(args.buf)
    local marker = vim.fs.find({ ".dockopt.toml", "pyproject.toml", ".git" }, { upward = true, path = vim.fs.dirname(file) })[1]
    vim.lsp.start({
      name = "dockopt",
      cmd = { "dockopt", "lsp" },
      root_dir = marker and vim.fs.dirname(marker) or vim.fs.dirname(file),
      init_options = { debounceMs = 150 },
    }, { bufnr = args.buf })
  end,
})
