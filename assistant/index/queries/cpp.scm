; C++: calls, type uses and includes (the shipped tags query has definitions only).
(call_expression function: (identifier) @name) @reference.call
(call_expression function: (field_expression field: (field_identifier) @name)) @reference.call
(call_expression function: (qualified_identifier name: (identifier) @name)) @reference.call
((type_identifier) @name @reference.type)
(preproc_include path: (_) @name) @reference.import
