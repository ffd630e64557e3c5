; Imports and type uses: what the shipped tags query (which has module-level constants) leaves out.
(import_statement name: (dotted_name (identifier) @name) @reference.import)
(import_statement name: (aliased_import name: (dotted_name (identifier) @name)) @reference.import)
(import_from_statement name: (dotted_name (identifier) @name) @reference.import)
(import_from_statement name: (aliased_import name: (dotted_name (identifier) @name)) @reference.import)
(type (identifier) @name) @reference.type
(class_definition superclasses: (argument_list (identifier) @name @reference.type))
