;;; assistant-next-edit.el --- Next-edit suggestions in eglot  -*- lexical-binding: t; -*-

;;; Commentary:

;; After you change code, `assistant lsp' proposes the edit that follows (the remaining uses
;; of a renamed parameter, a call site of a changed signature...).  eglot already shows it as
;; a hint diagnostic ("suggested edit: ...") and offers it as the code action "Apply
;; suggested edit"; this file adds a command that fetches the suggestion, visits its file,
;; moves point to it and applies it (`undo' takes it back), and a message when one is ready.
;;
;; Set-up (eglot must already run `assistant lsp', see docs/editors.md):
;;
;;   (add-to-list 'load-path "/path/to/assistant/editors/emacs")
;;   (require 'assistant-next-edit)
;;   (with-eval-after-load 'eglot
;;     (define-key eglot-mode-map (kbd "M-n") #'assistant-next-edit-accept))

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'jsonrpc)

(defgroup assistant-next-edit nil
  "Next-edit suggestions of `assistant lsp'."
  :group 'eglot)

(defcustom assistant-next-edit-timeout 5
  "Seconds to wait for a suggestion the server is still computing."
  :type 'number)

(defun assistant-next-edit--path (uri)
  "Return the file name of URI, with whichever helper this eglot has."
  (if (fboundp 'eglot-uri-to-path)
      (eglot-uri-to-path uri)
    (eglot--uri-to-path uri)))

(defun assistant-next-edit-fetch ()
  "Return the suggestion following this buffer's edits, or nil.
It is a plist (:uri :range :newText :oldText); the server waits
for one being computed."
  (when (bound-and-true-p eglot--managed-mode)
    (eglot--signal-textDocument/didChange)) ; the server must see your last keystrokes
  (jsonrpc-request (eglot--current-server-or-lose) :assistant/nextEdit
                   (eglot--TextDocumentPositionParams)
                   :timeout assistant-next-edit-timeout))

;;;###autoload
(defun assistant-next-edit-accept ()
  "Fetch the assistant's next-edit suggestion, go to it and apply it.
Return non-nil when an edit was applied."
  (interactive)
  (let ((suggestion (assistant-next-edit-fetch)))
    (if (not suggestion)
        (progn (message "assistant: no next edit") nil)
      (let ((range (plist-get suggestion :range)))
        (find-file (assistant-next-edit--path (plist-get suggestion :uri)))
        (goto-char (eglot--lsp-position-to-point (plist-get range :start)))
        (eglot--apply-text-edits
         (vector (list :range range :newText (plist-get suggestion :newText))))
        t))))

(cl-defmethod eglot-handle-notification
  (_server (_method (eql assistant/nextEditReady)) &key uri range &allow-other-keys)
  "Say that a suggestion is ready in URI at RANGE, and how to take it."
  (message "assistant: next edit ready at %s:%d (%s)"
           (file-name-nondirectory (assistant-next-edit--path uri))
           (1+ (plist-get (plist-get range :start) :line))
           (substitute-command-keys "\\[assistant-next-edit-accept]")))

(provide 'assistant-next-edit)
;;; assistant-next-edit.el ends here
