; PHP: plain function calls by name (the shipped query only matches qualified names).
(function_call_expression function: (name) @name) @reference.call
