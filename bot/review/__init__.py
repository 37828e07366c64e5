"""The trainers' review console: conversation index, annotations, exports, accounts, web pages."""
