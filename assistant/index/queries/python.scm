; Imports, module-level constants and type uses: what the shipped tags query leaves out.
(import_statement name: (dotted_name (identifier) @name) @reference.import)
(import_statement name: (aliased_import name: (dotted_name (identifier) @name)) @reference.import)
(import_from_statement name: (dotted_name (identifier) @name) @reference.import)
(import_from_statement name: (aliased_import name: (dotted_name (identifier) @name)) @reference.import)
(module (expression_statement (assignment left: (identifier) @name) @definition.constant))
(type (identifier) @name) @reference.type
(class_definition superclasses: (argument_list (identifier) @name @reference.type))
